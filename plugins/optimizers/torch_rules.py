"""The torch update rules: the tutorial's plain step, and torch.optim's SGD, Adam, AdamW and RMSprop."""

import torch


class GD:
    """Plain gradient descent with the tutorial's arithmetic: ``p -= lr * p.grad``.

    Written as the tutorial writes it (not ``p.add_(p.grad, alpha=-lr)``),
    so that a run reproduces the tutorial's losses. A plain class rather
    than a ``torch.optim.Optimizer``: the tutorial's loop pays neither that
    class's per-step bookkeeping nor the ~1 s import of torch._dynamo that
    its constructor triggers.
    """

    def __init__(self, params, lr):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        self.params, self.lr = list(params), lr

    def step(self) -> None:
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p -= self.lr * p.grad

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()


def sgd(params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    return torch.optim.SGD(
        params, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay
    )


def adam(params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


def adamw(params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False):
    return torch.optim.AdamW(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


def rmsprop(params, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    return torch.optim.RMSprop(
        params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
    )
