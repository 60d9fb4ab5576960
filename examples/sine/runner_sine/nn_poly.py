"""PyTorch: nn (and PyTorch: optim, the same model). A Linear layer on (x, x^2, x^3)."""

import torch

from runner.autograd import AutogradModel


def build_model(d_in, d_out, device):
    # For this example, the output y is a linear function of (x, x^2, x^3), so
    # we can consider it as a linear layer neural network.
    p = torch.tensor([1, 2, 3], device=device)

    # Use the nn package to define our model as a sequence of layers. The
    # Flatten layer flattens the output of the linear layer to a 1D tensor,
    # to match the shape of `y`. Built on the CPU, then moved.
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    ).to(device)

    # The nn package also contains definitions of popular loss functions; in this
    # case we will use Mean Squared Error (MSE) as our loss function.
    loss_fn = torch.nn.MSELoss(reduction='sum')

    def loss_of(x, y):
        # Prepare the input tensor (x, x^2, x^3): x.unsqueeze(-1) has shape (2000, 1)
        # and p has shape (3,), so broadcasting gives a tensor of shape (2000, 3).
        xx = x.unsqueeze(-1).pow(p)
        y_pred = model(xx)
        return loss_fn(y_pred, y)

    return AutogradModel(model.parameters(), loss_of, module=model)
