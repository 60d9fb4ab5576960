"""Test-only plugins: models whose run cannot end before the test says so, loaded with
RUNNER_PLUGINS=tests.support.gates.

``gated_dynamic``, ``gated_numpy``, ``gated_module`` and ``gated_sleepy`` are the built-in
``dynamic``, ``numpy`` and ``module`` models and tests.support.fake_plugins' ``sleepy``, with the
same parameters, defaults and losses, bit for bit. Only in a process whose environment names a
gate folder ($RUNNER_TEST_GATE) do they wait on it, so that a test interrupts or kills a run at an
event it observes instead of at a moment it guesses:

- from step $RUNNER_TEST_GATE_SLOW (if set) each step sleeps 10 ms, so that the loop, still
  stepping, keeps flushing its rows and taking its checkpoints while the test watches the store;
- step $RUNNER_TEST_GATE_AT writes ``reached`` in the folder, then waits until the test writes
  ``open`` there, or until the process gets SIGINT or SIGTERM (runner's own handlers still run: the
  loop stops after this step, as it would have stopped before it had the gate not held it), at most
  ``LONGEST`` seconds, so that a test that died leaves no process forever. ``reached-PID`` and, once
  the process got such a signal, ``signalled-PID`` say which process did what; with
  $RUNNER_TEST_GATE_HOLD set, a signal is only noted and the gate waits for ``open`` still;
- with $RUNNER_TEST_GATE_STOPPED set, the gate opens too once this process has seen `runner stop`: its
  sweep watch (runner.execution.stopping.SweepWatch, the thread ``stop-SWEEP``) has set the stop flag and
  ended, so the loop stops after this step, as it would have had the step not waited.

A resumed run is started without $RUNNER_TEST_GATE, so it runs to its end at full speed.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runner import hookimpl

GATE, AT, SLOW, HOLD = "RUNNER_TEST_GATE", "RUNNER_TEST_GATE_AT", "RUNNER_TEST_GATE_SLOW", "RUNNER_TEST_GATE_HOLD"
STOPPED = "RUNNER_TEST_GATE_STOPPED"
SLOW_STEP = 0.01  # seconds each step sleeps from $RUNNER_TEST_GATE_SLOW on
LONGEST = 300.0  # seconds a gate waits for its test before the step fails


def gate_env(folder: Path, at: int, slow: int | None = None, hold: bool = False,
             stopped: bool = False) -> dict[str, str]:
    """The environment that gates a run's step ``at`` on ``folder`` (and slows it from step ``slow``;
    ``hold``: a stop signal does not open it; ``stopped``: `runner stop`, once seen, does)."""
    env = {GATE: str(folder), AT: str(at)}
    if slow is not None:
        env[SLOW] = str(slow)
    if hold:
        env[HOLD] = "1"
    if stopped:
        env[STOPPED] = "1"
    return env


def wait_for_the_test(folder: Path) -> None:
    signalled: list[int] = []
    hold = bool(os.environ.get(HOLD))
    watches = sweep_watches() if os.environ.get(STOPPED) else []
    with noting_stop_signals(signalled, folder / f"signalled-{os.getpid()}"):
        (folder / "reached").touch()
        (folder / f"reached-{os.getpid()}").touch()
        deadline = time.monotonic() + LONGEST
        while not ((signalled and not hold) or (folder / "open").exists() or stop_seen(watches)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gate in {folder} was never opened")
            time.sleep(0.01)  # a signal handler runs here too: a Ctrl-C sent meanwhile is seen before the step ends


def sweep_watches() -> list[threading.Thread]:
    """This process's sweep watches (runner.execution.stopping): a thread each, which ends once it has set the
    stop flag. None is an error: the gate would never open for `runner stop`."""
    watches = [t for t in threading.enumerate() if t.name.startswith("stop-")]
    if not watches:
        raise RuntimeError(f"${STOPPED} is set, but this process watches no sweep (no thread named stop-SWEEP)")
    return watches


def stop_seen(watches: list[threading.Thread]) -> bool:
    return bool(watches) and not any(t.is_alive() for t in watches)


@contextmanager
def noting_stop_signals(signalled: list[int], marker: Path) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM are noted in ``signalled`` and by the file ``marker``, then handled
    as before (in the main
    thread only, where Python handles signals; a default action that is no handler is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def note(signum, frame):
        signalled.append(signum)
        marker.touch()
        previous[signum](signum, frame)  # type: ignore[operator]

    for sig, handler in previous.items():
        if callable(handler):
            signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            if callable(handler):
                signal.signal(sig, handler)


def install(model: Any) -> Any:
    """Wrap ``model.loss_and_grads`` (an attribute of this instance: its state and checkpoints stay as they are)."""
    folder = os.environ.get(GATE)
    if not folder:
        return model
    at, slow = int(os.environ[AT]), int(os.environ.get(SLOW, "-1"))
    inner, calls = model.loss_and_grads, [0]

    def loss_and_grads(x, y):
        step, calls[0] = calls[0], calls[0] + 1
        if 0 <= slow <= step:
            time.sleep(SLOW_STEP)
        if step == at:
            wait_for_the_test(Path(folder))
        return inner(x, y)

    model.loss_and_grads = loss_and_grads
    return model


def gated(build):
    def make(d_in, d_out, device, **params):
        return install(build(d_in, d_out, device, **params))

    return make


def specs_of(register_models) -> list:
    found: list = []
    register_models(found.append)
    return found


@hookimpl
def register_models(register):
    import runner_plugins.dynamic_net
    import runner_plugins.module_net
    import runner_plugins.numpy_net

    import tests.support.fake_plugins

    hooks = (runner_plugins.dynamic_net.register_models, runner_plugins.module_net.register_models,
             runner_plugins.numpy_net.register_models, tests.support.fake_plugins.register_models)
    for hook in hooks:
        for spec in specs_of(hook):
            if spec.name in ("dynamic", "module", "numpy", "sleepy"):
                register(dataclasses.replace(spec, name=f"gated_{spec.name}", build=gated(spec.build)))
