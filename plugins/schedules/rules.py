"""The schedules' rules as plain arithmetic: ``factor(step, steps, **params)``, the multiple of the run's lr.

Each is the closed form of its ``torch.optim.lr_scheduler`` twin (torch_rules),
so that an optimizer torch's schedulers cannot drive (the NumPy rules, the
tutorial's gd) trains with the same lr at each step, to rounding: torch
computes most of these step by step (lr * gamma, again and again), which
differs from the closed form in the last digits only.
"""

import math

__all__ = ["constant", "step", "exponential", "cosine", "one_cycle"]


def constant(step: int, steps: int) -> float:
    return 1.0


def step(step: int, steps: int, step_size: int = 100, gamma: float = 0.1) -> float:
    """StepLR: ``gamma ** (step // step_size)``."""
    return gamma ** (step // step_size)


def exponential(step: int, steps: int, gamma: float = 0.99) -> float:
    """ExponentialLR: ``gamma ** step``."""
    return gamma**step


def cosine(step: int, steps: int, min_factor: float = 0.0) -> float:
    """CosineAnnealingLR with ``T_max = steps`` and ``eta_min = min_factor * lr``."""
    return min_factor + (1 - min_factor) * (1 + math.cos(math.pi * step / steps)) / 2


def one_cycle(step: int, steps: int, pct_start: float = 0.3, div_factor: float = 25.0, final_div_factor: float = 1e4,
              anneal: str = "cos", three_phase: bool = False) -> float:
    """OneCycleLR with ``max_lr = lr`` and ``total_steps = steps``, phase by phase as torch computes it."""
    initial = 1 / div_factor
    final = initial / final_div_factor
    peak = float(pct_start * steps) - 1
    if three_phase:
        phases = [(peak, initial, 1.0), (float(2 * pct_start * steps) - 2, 1.0, initial), (steps - 1, initial, final)]
    else:
        phases = [(peak, initial, 1.0), (steps - 1, 1.0, final)]
    start_step = 0.0
    for i, (end_step, start, end) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            pct = (step - start_step) / (end_step - start_step)
            return _cos(start, end, pct) if anneal == "cos" else (end - start) * pct + start
        start_step = end_step
    raise AssertionError("unreachable")


def _cos(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
