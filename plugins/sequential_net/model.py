"""The tutorial's nn.Sequential model."""

import torch

from runner.autograd import module_model


def build_model(D_in, H, D_out, device="cpu"):
    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H),
        torch.nn.ReLU(),
        torch.nn.Linear(H, D_out),
    ).to(device)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    return module_model(model, loss_fn)
