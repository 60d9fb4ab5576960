"""The schedules' ``torch.optim.lr_scheduler`` objects; ``steps`` is the run's (less --warmup), told by runner."""

import torch

__all__ = ["step", "exponential", "cosine", "one_cycle"]


def step(optimizer, steps, step_size=100, gamma=0.1):
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)


def exponential(optimizer, steps, gamma=0.99):
    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=gamma)


def cosine(optimizer, steps, min_factor=0.0):
    eta_min = min_factor * _lrs(optimizer)[0]
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=eta_min)


def one_cycle(optimizer, steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal="cos", three_phase=False):
    # cycle_momentum=False: a schedule sets the lr only, the same for every optimizer (and OneCycleLR would
    # refuse an SGD without momentum).
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=_lrs(optimizer), total_steps=steps, pct_start=pct_start,
        div_factor=div_factor, final_div_factor=final_div_factor, anneal_strategy=anneal, three_phase=three_phase,
        cycle_momentum=False,
    )


def _lrs(optimizer):
    """The run's lr of each group: what a scheduler built earlier on this optimizer started from."""
    return [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
