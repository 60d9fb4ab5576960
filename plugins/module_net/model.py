"""The tutorial's TwoLayerNet module."""

import torch

from runner.autograd import module_model


class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        """
        In the constructor we instantiate two nn.Linear modules and assign them as
        member variables.
        """
        super(TwoLayerNet, self).__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        """
        In the forward function we accept a Tensor of input data and we must return
        a Tensor of output data.
        """
        h_relu = self.linear1(x).clamp(min=0)
        y_pred = self.linear2(h_relu)
        return y_pred


def build(D_in, D_out, device, hidden):
    """Build the module on the CPU (torch's global generator), then move it to ``device``."""
    model = TwoLayerNet(D_in, hidden, D_out).to(device)
    criterion = torch.nn.MSELoss(reduction="sum")
    return module_model(model, criterion)
