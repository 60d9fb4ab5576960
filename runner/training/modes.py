"""Evaluation mode around a torch model's evaluation, and everything put back as it was after it.

While runner evaluates a model (``--eval-every``, runner.training.evaluation), the model's ``nn.Module``
(``runner.checkpoints.state.module_of``: the model itself, or the ``module`` it keeps, as
``runner.autograd.AutogradModel(..., module=)`` does) is in evaluation mode: dropout is off and batch norm
uses its running statistics without updating them. Afterwards each submodule gets back its own ``training``
flag (not one ``train()`` for the whole tree: a plugin may keep a frozen part in evaluation mode) and each
buffer (batch norm's running statistics and ``num_batches_tracked``) its value from before, so an
``evaluate`` that calls ``eval()`` and never ``train()``, or runs batch norm in training mode, changes
nothing training sees. A model runner finds no module in (NumPy, hand-written tensors) is left alone.

The cost is per evaluation only: flags are Python attributes, and buffers are copied on their device
(no wait for a GPU). Whether ``evaluate`` itself put a module in training mode or changed a buffer is asked
only by the conformance suite (``Watched``), since reading buffers back would make a GPU wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from runner.checkpoints.state import module_of

__all__ = ["Watched", "evaluation_mode", "named"]


@dataclass
class Watched:
    """What runner saved before an evaluation, to compare with the module as ``evaluate`` left it.

    ``ran_in_training`` is filled only when asked for (``record=True``): the modules that
    behave differently in training (dropout, batch norm) and ran a forward pass in training mode.
    """

    modules: list[tuple[str, Any]]  # every submodule by name ("" for the root)
    flags: list[bool]  # each one's own training flag, in the order of ``modules``
    buffers: list[tuple[Any, str, str, Any, Any]]  # (owner, attribute, full name, the tensor, a copy of it)
    ran_in_training: dict[str, None] = field(default_factory=dict)  # names, in the order they ran

    def flags_changed(self) -> list[str]:
        """The modules whose training flag differs now from before the evaluation."""
        return [named(name, module) for (name, module), flag in zip(self.modules, self.flags) if module.training != flag]

    def buffers_changed(self) -> list[str]:
        """The buffers whose value (or tensor) differs now from before; reads them, so a GPU waits."""
        import torch

        changed = []
        for owner, attribute, name, tensor, copy in self.buffers:
            now = owner._buffers.get(attribute)
            if now is not tensor or not torch.equal(now, copy):
                changed.append(named(name, owner, "buffer"))
        return changed

    def restore(self) -> None:
        import torch

        for (_, module), flag in zip(self.modules, self.flags):
            module.training = flag  # the module's own flag: train(flag) would set its children's too
        with torch.no_grad():
            for owner, attribute, _, tensor, copy in self.buffers:
                tensor.copy_(copy)
                if owner._buffers.get(attribute) is not tensor:  # evaluate replaced it: the one training uses returns
                    owner._buffers[attribute] = tensor


def named(name: str, module: Any, what: str = "module") -> str:
    return f"{what} {name or '(the model)'!r} ({type(module).__name__})"


@contextmanager
def evaluation_mode(model: Any, switch: bool = True, record: bool = False) -> Iterator[Watched | None]:
    """The model's module in evaluation mode for the block (``switch=False``: left in its mode, for the
    conformance suite to see what ``evaluate`` does alone), then its flags and buffers as before.
    Yields what was saved, or None for a model with no module."""
    module = module_of(model)
    if module is None:
        yield None
        return
    watched = _saved(module)
    hooks = _watch_forward(watched) if record else []
    try:
        if switch:
            module.eval()
        yield watched
    finally:
        for hook in hooks:
            hook.remove()
        watched.restore()


def _saved(module: Any) -> Watched:
    import torch

    modules = list(module.named_modules())
    with torch.no_grad():
        buffers = [(owner, attribute, f"{prefix}.{attribute}" if prefix else attribute, tensor, tensor.clone())
                   for prefix, owner in modules for attribute, tensor in owner.named_buffers(recurse=False)]
    return Watched(modules, [m.training for _, m in modules], buffers)


def _watch_forward(watched: Watched) -> list[Any]:
    """Forward pre-hooks noting each dropout or norm module that runs in training mode; their handles."""
    hooks = []
    for name, module in watched.modules:
        if _mode_matters(module):
            try:
                hooks.append(module.register_forward_pre_hook(_recorder(watched, name)))
            except RuntimeError:  # a scripted module takes no hooks: it is not watched
                continue
    return hooks


def _mode_matters(module: Any) -> bool:
    """Whether the module computes differently in training mode: dropout and the norms with running statistics."""
    import torch

    kinds = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._NormBase)
    return isinstance(module, kinds)


def _recorder(watched: Watched, name: str) -> Callable[..., None]:
    def seen(module: Any, args: Any) -> None:
        if module.training:
            watched.ran_in_training[named(name, module)] = None

    return seen
