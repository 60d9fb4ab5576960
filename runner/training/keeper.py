"""A run's checkpoints and final weights, kept in its store while it trains (``runner.training.runs`` uses this).

``Keeper.resume`` restores the run's latest checkpoint, if it has one, and
says where training goes on from; ``checkpoint`` takes one when the loop's
checkpoint handler says (runner.training.checkpointing); ``keep_weights``
keeps the final weights when the run ends. What is kept goes into the
database, or with ``--artifacts DIR`` into files under DIR (runner.store.artifacts).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from runner.errors import CheckpointError
from runner.formatting import format_bytes
from runner.processes import host_name
from runner.status import RunStatus

if TYPE_CHECKING:
    from runner.config import Resolved
    from runner.store import RunRecord, Store
    from runner.training.best_weights import KeepBest
    from runner.training.engine import Outcome
    from runner.training.options import ExecOptions
    from runner.training.trainer import Trainer

__all__ = ["FORMATS", "WEIGHTS_LIMIT_BYTES", "KEEPS_WEIGHTS", "CHECKPOINT_FAILED", "Keeper", "check_resumable",
    "misplaced", "first_line"]

FORMATS = {"torch": "pt", "numpy": "npz"}
# Weights above this are kept only when asked (--weights): a large model's weights belong under --artifacts.
WEIGHTS_LIMIT_BYTES = 256 * 10**6
KEEPS_WEIGHTS = (RunStatus.COMPLETED, RunStatus.INTERRUPTED)  # a failed or diverged run's weights are no use
CHECKPOINT_FAILED = "checkpoint failed"  # the kind of run_events a checkpoint that could not be kept adds


class Keeper:
    def __init__(self, store: Store, run_id: int, trainer: Trainer, options: ExecOptions):
        self.store, self.run_id, self.trainer, self.options = store, run_id, trainer, options
        self.format = FORMATS[trainer.backend]
        self.best: KeepBest | None = None  # --keep-best: its copy is written at each checkpoint and at the end
        self.stopped_early = False  # its checkpoint at the stop is kept: `runner resume RUN --no-early-stop` goes on

    def resume(self) -> tuple[int, float]:
        """Put the run's latest checkpoint into the trainer; ``(steps done, seconds)`` to go on from ((0, 0.0): none).
        The weights the run kept when it stopped go only once the checkpoint is in: a refusal leaves them."""
        from runner.checkpoints.codec import decode
        from runner.checkpoints.state import restore
        from runner.store.resuming import RESUMED

        kept = self.store.latest_artifact(self.run_id, "checkpoint")
        if kept is None:
            return 0, 0.0
        checkpoint = decode(kept.data, self.trainer.backend)
        if checkpoint.step != kept.info.step:
            raise CheckpointError(f"the checkpoint of run {self.run_id} claims step {checkpoint.step}, its record "
                                  f"step {kept.info.step}; start it over with `runner resume {self.run_id} --restart`")
        restore(self.trainer, checkpoint)
        self.store.drop_artifacts(self.run_id, "weights")  # those of the part before: the run goes on
        self.store.add_event(self.run_id, RESUMED, f"from its checkpoint at step {checkpoint.step} on {host_name()}")
        return checkpoint.step, checkpoint.elapsed

    def checkpoint(self, done: int, elapsed: float) -> None:
        """Keep the trainer's state after ``done`` steps (the engine has stored every row up to there).
        A store failing for a while skips this one: the next is due soon, and training goes on. A checkpoint
        that cannot be kept otherwise (a full --artifacts disk) is a warning line and a run event, and training
        goes on too: the run loses only what resuming from it would have saved."""
        from runner.checkpoints.codec import encode
        from runner.checkpoints.state import capture
        from runner.errors import StorageError, StorageUnavailable

        data = encode(capture(self.trainer, done, elapsed))
        try:
            self.store.save_artifact(self.run_id, "checkpoint", done, data, self.format,
                                     keep=self.options.keep_checkpoints, directory=self.options.artifacts)
            if self.best is not None:  # with the checkpoint it goes with: a resumed run goes on from both
                self.best.write()
        except StorageUnavailable:
            pass
        except (StorageError, CheckpointError, OSError) as exc:
            self.checkpoint_failed(done, exc)

    def checkpoint_failed(self, done: int, exc: Exception) -> None:
        from runner.errors import StorageError

        lines = str(exc).strip().splitlines()
        detail = f"at step {done} was not kept: {lines[0] if lines else type(exc).__name__}"
        print(f"warning: run {self.run_id}'s checkpoint {detail}; training goes on", file=sys.stderr)
        try:
            self.store.add_event(self.run_id, CHECKPOINT_FAILED, detail)
        except StorageError:
            pass  # the warning is said; the database is failing too

    def finish(self, outcome: Outcome) -> None:
        """Keep the final weights (see keep_weights) and the best ones (--keep-best: from an evaluation, so kept
        however the run ended). A completed run's checkpoint goes, as nothing resumes it, unless
        --keep-checkpoints asked for more than one: then its newest ones stay, a history of the run to load; or
        it stopped early: its checkpoint at the stop is what `runner resume RUN --no-early-stop` continues from."""
        self.keep_weights(outcome)
        if self.best is not None:
            self.best.write()
        if outcome.status == RunStatus.COMPLETED and self.options.keep_checkpoints == 1 and not self.stopped_early:
            self.store.drop_artifacts(self.run_id, "checkpoint")

    def save_best(self, done: int, data: bytes) -> None:
        """Keep ``data`` as the run's best weights (KeepBest's ``save``), in place of any kept before."""
        self.store.save_artifact(self.run_id, "best", done, data, self.format, directory=self.options.artifacts)

    def keep_weights(self, outcome: Outcome) -> None:
        """Keep the final weights of a run that completed or was interrupted, unless --no-weights, or too large
        for the default (then a warning says how to keep them)."""
        from runner.checkpoints.weight_files import export_weights

        if self.options.weights is False or outcome.status not in KEEPS_WEIGHTS:
            return
        data = export_weights(self.trainer.model, self.trainer.backend)
        if len(data) > WEIGHTS_LIMIT_BYTES and self.options.weights is None:
            print(f"warning: run {self.run_id}'s weights ({format_bytes(len(data))}) are over "
                  f"{format_bytes(WEIGHTS_LIMIT_BYTES)} and were not kept; pass --weights to keep them "
                  "(best with --artifacts DIR)", file=sys.stderr)
            return
        self.store.save_artifact(self.run_id, "weights", outcome.steps_done, data, self.format,
                                 directory=self.options.artifacts)


def check_resumable(store: Store, record: RunRecord, resolved: Resolved | None = None, device: Any = None) -> Any:
    """Check that run ``record`` can be resumed, before anything is changed: its latest checkpoint (None: it has
    none) is read, its step checked against the run's stored rows and steps, and (``resolved`` given) put into a
    model built afresh from the run's config, as the resumed run will be, then thrown away. RunStateError (a
    refusal, exit 2) in one line saying what differs and to start the run over with --restart."""
    from runner.checkpoints.codec import decode
    from runner.checkpoints.state import restore
    from runner.errors import RunStateError
    from runner.training.trainer import prepare

    run_id = record.id
    restart = f"start it over with `runner resume {run_id} --restart`"
    try:
        kept = store.latest_artifact(run_id, "checkpoint")
        checkpoint = None if kept is None else decode(kept.data)
    except CheckpointError as exc:
        raise RunStateError(f"run {run_id}: {str(exc).split('; ')[0]}; nothing was changed; {restart}") from None
    if kept is not None and checkpoint is not None:
        problem = misplaced(checkpoint.step, kept.info.step, record.steps, store.steps_stored(run_id, checkpoint.step))
        if problem:
            raise RunStateError(f"run {run_id}: its checkpoint {problem}; nothing was changed; {restart}")
    if resolved is None:
        return checkpoint
    try:
        trainer = prepare(resolved, device)
    except Exception as exc:  # the plugin cannot build it any more: the run waits, untouched, for a fix
        raise RunStateError(f"run {run_id} cannot be resumed: {first_line(str(exc))}; nothing was changed; "
                            f"fix the plugin, or {restart}") from None
    if checkpoint is not None:
        try:
            restore(trainer, checkpoint)  # into a model that is thrown away: what the resumed run will do
        except Exception as exc:  # a CheckpointError saying what differs, or the plugin's own refusal
            raise RunStateError(f"run {run_id}: {first_line(str(exc)).split('; ')[0]}; nothing was changed; put the "
                                f"model, optimizer and backend back as they were, or {restart}") from None
    return checkpoint


def misplaced(step: int, recorded: int, steps: int, stored: int) -> str | None:
    """What makes a checkpoint at ``step`` (its row saying ``recorded``) impossible for a run of ``steps`` steps
    that has ``stored`` of its rows before ``step``; None when nothing does."""
    if step != recorded:
        return f"claims step {step:,}, its record step {recorded:,}"
    if step > steps:
        return f"claims step {step:,}, beyond the run's {steps:,} steps"
    if stored != step:
        return f"claims step {step:,}, but the run has {stored:,} of the {step:,} rows before it stored"
    return None


def first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""
