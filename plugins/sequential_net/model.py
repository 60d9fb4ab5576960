"""The tutorial's nn.Sequential model."""

import torch

from runner.autograd import module_model


def build(D_in, D_out, device, hidden):
    """Build the layers on the CPU (torch's global generator), then move them to ``device``."""
    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, D_out),
    ).to(device)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    return module_model(model, loss_fn)
