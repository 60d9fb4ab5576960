"""Every hook a runner plugin can implement.

A plugin is a module (or any object) with functions marked
``@runner.hookimpl`` whose names match the hooks below. runner finds
plugins through the ``runner`` entry-point group::

    # pyproject.toml of your package
    [project.entry-points.runner]
    my_plugin = "my_package.plugin"

or, during development, through ``RUNNER_PLUGINS=my_module[,other]``.

Each hook is handed a ``register`` callback (typed below, so that an editor knows what it takes); call it once per thing you
provide. Hooks are called once, when runner loads its plugins, and must
not do heavy work (do not import torch at module level): build functions
run later, when a run needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec, ScheduleSpec

__all__ = ["register_models", "register_optimizers", "register_datasets", "register_schedules"]

hookspec = pluggy.HookspecMarker("runner")


@hookspec
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register model plugins.

    Call ``register(ModelSpec(...))`` once per model. Example::

        from runner import ModelSpec, hookimpl

        @hookimpl
        def register_models(register: Callable[[ModelSpec], None]) -> None:
            register(ModelSpec(name="tiny", build=build_tiny, optimizer="adam", lr=1e-3,
                               params={"hidden": 16}))

    ``build(d_in, d_out, device, **params)`` returns an object with
    ``parameters()`` and ``loss_and_grads(x, y)``; see ``runner.specs.Model``.
    ``loss_and_grads`` returns ``(loss, grads)``, or ``(loss, grads,
    metrics)`` with ``metrics`` a dict of word names to scalars computed in
    the same pass (``{"accuracy": acc}``); an optional ``evaluate(x, y)``
    returns the values to record on held-out data (``val_<name>``).
    ``d_out`` is the dataset's number of classes when it declares them.
    """


@hookspec
def register_optimizers(register: Callable[[OptimizerSpec], None]) -> None:
    """Register optimizer plugins.

    Call ``register(OptimizerSpec(...))`` once per update rule, with a
    ``torch`` builder, a ``numpy`` builder or both; see
    ``runner.specs.OptimizerSpec``. Any registered optimizer can be used
    with any model whose backend it supports.
    """


@hookspec
def register_datasets(register: Callable[[DatasetSpec], None]) -> None:
    """Register dataset plugins.

    Call ``register(DatasetSpec(...))`` once per dataset.
    ``build(backend, **params)`` returns ``(x, y)`` on the CPU; see
    ``runner.specs.DatasetSpec``. The built-in ``random`` dataset is the
    tutorial's random x and y. A dataset may also give a held-out split
    (``validation``, for ``--eval-every``) and declare that its targets are
    class indices (``classes``).
    """


@hookspec
def register_schedules(register: Callable[[ScheduleSpec], None]) -> None:
    """Register learning-rate schedule plugins.

    Call ``register(ScheduleSpec(...))`` once per schedule: its
    ``factor(step, steps, **params)`` (the multiple of the run's lr at
    ``step`` of ``steps``), and optionally the ``torch`` builder of the
    ``torch.optim.lr_scheduler`` with the same rule; see
    ``runner.specs.ScheduleSpec``. Every schedule works with every
    optimizer; runner tells it the run's steps (less ``--warmup``).
    """
