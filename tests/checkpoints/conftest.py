"""Training, interrupting and resuming through runner's own loop, for the checkpoint tests."""

from __future__ import annotations

import random

import numpy
import pytest

from runner.checkpoints.codec import decode, encode
from runner.checkpoints.state import capture, restore
from runner.config import resolve
from runner.registry import load_registry
from runner.request import RunChoice
from runner.training import engine
from runner.training.options import ExecOptions

MODELS = ("numpy", "tensor", "autograd", "myrelu", "sequential", "module", "dynamic")
SMALL = ["batch=16", "d_in=6", "d_out=3", "hidden=5"]


@pytest.fixture(scope="session")
def builtins():
    """The installed plugins alone: the seven tutorial models, the built-in optimizers and datasets."""
    registry = load_registry(extra_modules=())
    assert not registry.errors, [str(e) for e in registry.errors]
    return registry


def prepared(registry, model, steps, **resolve_args):
    resolve_args.setdefault("sets", SMALL)
    return engine.prepare(resolve(registry, RunChoice(model, steps=steps, device="cpu", **resolve_args)))


def losses(trainer, steps, start=0, elapsed=0.0, options=None, handlers=()):
    """The rows ``train`` hands its sink from ``start`` to ``steps``, and its outcome."""
    rows = []
    outcome = engine.train(trainer, steps, lambda got, _: rows.extend(got), options or ExecOptions(), start, elapsed,
                           handlers=handlers)
    return rows, outcome


def bits(rows):
    """Each loss's exact bits, with its step: equal lists mean bitwise-equal losses."""
    return [(step, float(loss).hex()) for step, loss, _ in rows]


def perturb(trainer):
    """Move everything a restore must put back: one more step, and a draw from each generator."""
    trainer.step()
    random.random()
    numpy.random.rand()
    if trainer.backend == "torch":
        import torch

        torch.rand(1)
    if trainer.batches is not None:
        trainer.batches.generator.random()
        trainer.batches.indices()


def interrupted(registry, model, steps, at, **resolve_args):
    """Train ``at`` steps, take a checkpoint through the bytes, and resume a fresh trainer to ``steps``."""
    first = prepared(registry, model, steps, **resolve_args)
    head, outcome = losses(first, at)
    assert outcome.status == "completed", outcome.error
    data = encode(capture(first, at, outcome.seconds))
    second = prepared(registry, model, steps, **resolve_args)
    perturb(second)
    checkpoint = decode(data)
    restore(second, checkpoint)
    tail, outcome = losses(second, steps, checkpoint.step, checkpoint.elapsed)
    return head, tail, outcome
