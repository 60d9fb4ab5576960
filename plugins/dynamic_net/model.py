"""The tutorial's DynamicNet: a random depth per forward pass, one shared middle layer."""

import random

import torch

from runner.autograd import module_model


class DynamicNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        """
        In the constructor we construct three nn.Linear instances that we will use
        in the forward pass.
        """
        super(DynamicNet, self).__init__()
        self.input_linear = torch.nn.Linear(D_in, H)
        self.middle_linear = torch.nn.Linear(H, H)
        self.output_linear = torch.nn.Linear(H, D_out)

    def forward(self, x):
        """
        For the forward pass of the model, we randomly choose either 0, 1, 2, or 3
        and reuse the middle_linear Module that many times to compute hidden layer
        representations.

        Since each forward pass builds a dynamic computation graph, we can use normal
        Python control-flow operators like loops or conditional statements when
        defining the forward pass of the model.

        Here we also see that it is perfectly safe to reuse the same Module many
        times when defining a computational graph.
        """
        h_relu = self.input_linear(x).clamp(min=0)
        for _ in range(random.randint(0, 3)):
            h_relu = self.middle_linear(h_relu).clamp(min=0)
        y_pred = self.output_linear(h_relu)
        return y_pred


def build(D_in, D_out, device, hidden):
    """Build the module on the CPU (torch's global generator), then move it to ``device``.

    Each forward pass draws its depth from Python's global ``random``, which runner seeds.
    """
    model = DynamicNet(D_in, hidden, D_out).to(device)
    criterion = torch.nn.MSELoss(reduction="sum")
    return module_model(model, criterion)
