"""A conformance suite that any plugin package runs in its own tests.

In a plugin's test file::

    from runner.testing import assert_conforms

    def test_my_model_conforms():
        assert_conforms("my_model", kind="model")

``assert_conforms`` loads the installed plugins (as ``runner run`` does),
runs every check for the named model, optimizer or dataset, and fails
with the whole pass/fail table if any check fails. ``runner plugins check
NAME`` runs the same checks from the command line.

For a model: it registers; it builds an object that follows the Model
protocol from its defaults; it trains a few steps on the CPU with finite
losses that fall; every parameter gets a gradient and changes; one seed
gives the same losses twice, and again, bit for bit, when stopped halfway
and resumed from a checkpoint; hand-written gradients match autograd's
(torch) or finite differences (NumPy); custom autograd Functions pass
gradcheck; the metrics it reports have word names and scalar values on
its device; evaluating it (as ``--eval-every`` does) leaves its
parameters, the optimizer's state, the training generators and its
module's training flags and buffers untouched, runs no dropout or batch
norm in training mode, and a run evaluated mid-way has the losses of one
that is not, bit for bit; and it trains with every optimizer (each at the
smaller of the model's lr and the optimizer's own). For an optimizer: it
registers; it updates parameters in place and descends on a least-squares
problem; it skips parameters without a gradient; its step scales with lr;
it resumes exactly from a checkpoint; its NumPy and torch rules agree; it trains every model. For a dataset: it
registers; it builds x and y in each backend; its declared shapes are
right; one seed gives the same data; its validation split, if any, shares
no row with the training split and is the same when drawn twice; its
targets, if it declares ``classes``, are class indices within range; every
model whose shapes fit trains on it. For a schedule: it registers; its factor
is finite, positive and of the shape it declares; its torch scheduler, if any,
gives the factor's lr at every step; a run with it resumes bit for bit from a
checkpoint, and it works with every optimizer.

Each check has a time limit (``timeout``, seconds), so a plugin that
hangs fails instead of hanging the suite. A check that trains with other
installed plugins does not fail when one of them is broken on its own: it
passes with a warning naming that plugin.
"""

from __future__ import annotations

from runner.kinds import NAMES as KINDS
from runner.testing.results import CheckResult, format_results
from runner.testing.suite import CHECK_TIMEOUT, Progress

__all__ = ["CHECK_TIMEOUT", "CheckResult", "assert_conforms", "check_plugin", "find_kind", "format_results"]


def find_kind(registry, name: str) -> str:
    """The kind of thing ``name`` is; ValueError if it is none or more than one."""
    kinds = [k for k in KINDS if name in registry.table(k)]
    if len(kinds) == 1:
        return kinds[0]
    if kinds:
        raise ValueError(f"{name!r} is a {' and a '.join(kinds)}; say which with kind=")
    from runner.registry import unknown_name_message

    raise ValueError(unknown_name_message("plugin", name, [n for k in KINDS for n in registry.table(k)]))


def check_plugin(name: str, kind: str | None = None, registry=None, timeout: float | None = CHECK_TIMEOUT,
                 progress: Progress | None = None) -> list[CheckResult]:
    """Run every conformance check for the ``kind`` (model, optimizer, dataset or schedule) called ``name``.

    ``registry`` defaults to the installed plugins plus ``RUNNER_PLUGINS``,
    loaded afresh. Each check that runs the plugin fails after ``timeout``
    seconds (None: no limit). ``progress(number, total, check)`` is called
    as each check starts (the first, "registers", is done at once).
    Returns the results in order; it never raises for a fault in the plugin,
    which is reported as a failed check instead.
    """
    from runner.contracts import plugin_label
    from runner.registry import load_registry
    from runner.testing.registration import check_registers
    from runner.testing.suite import run_checks

    registry = registry if registry is not None else load_registry()
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind is None and any(name in registry.table(k) for k in KINDS):
        kind = find_kind(registry, name)  # ValueError when the name is taken by two kinds
    first = check_registers(registry, kind, name)
    if kind is None or not first.passed:  # kind None: the name is registered as nothing, and first says so
        return [first]
    if kind == "model":
        from runner.testing.model_checks import model_checks as plan
    elif kind == "optimizer":
        from runner.testing.optimizer_checks import optimizer_checks as plan
    elif kind == "schedule":
        from runner.testing.schedule_checks import schedule_checks as plan
    else:
        from runner.testing.dataset_checks import dataset_checks as plan
    checks = plan(registry, name, timeout)
    return [first, *run_checks(checks, plugin_label(registry, kind, name), timeout, progress, first=2)]


def assert_conforms(name: str, kind: str | None = None, registry=None,
                    timeout: float | None = CHECK_TIMEOUT) -> list[CheckResult]:
    """Fail (AssertionError, with the table) unless every check for ``name`` passes; warnings do not fail it."""
    results = check_plugin(name, kind, registry, timeout)
    if not all(r.passed for r in results):
        raise AssertionError(f"{kind or 'plugin'} {name!r} does not conform:\n{format_results(results)}")
    return results
