"""Training through runner's own loop with an in-memory sink: what tests of the engine need."""

from __future__ import annotations

from dataclasses import dataclass, field

from runner.config import resolve
from runner.request import RunChoice
from runner.training.engine import Outcome, prepare, train
from runner.training.options import ExecOptions

SMALL = ["batch=8", "d_in=5", "d_out=3"]


@dataclass
class Recorded:
    """What a run handed its sink, and how it ended."""

    outcome: Outcome | None = None
    rows: list = field(default_factory=list)
    metric_rows: list = field(default_factory=list)
    calls: int = 0

    def __call__(self, rows, metric_rows):
        self.calls += 1
        self.rows.extend(rows)
        self.metric_rows.extend(metric_rows)

    @property
    def losses(self):
        return [loss for _, loss, _ in self.rows]

    def metric(self, name):
        """``{step: value}`` of one metric."""
        return {step: value for n, step, value in self.metric_rows if n == name}


def record(registry, model, steps=10, options=None, handlers=(), **resolve_args) -> Recorded:
    """Resolve (on the CPU), prepare and train ``model`` (with ``handlers``); the sink keeps everything."""
    resolve_args.setdefault("sets", SMALL)
    resolved = resolve(registry, RunChoice(model, steps=steps, device="cpu", **resolve_args))
    recorded = Recorded()
    recorded.outcome = train(prepare(resolved), steps, recorded, options or ExecOptions(), handlers=handlers)
    return recorded
