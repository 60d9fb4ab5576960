"""Store methods for what a run keeps besides its numbers: saving, reading and dropping checkpoints and weights.

How the bytes are kept (in the database, or in a file under an --artifacts directory) and checked is
runner.store.artifacts'.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from runner.errors import CheckpointError, StorageError
from runner.store import artifacts as kept
from runner.store.artifacts import Artifact, ArtifactInfo
from runner.store.base import StoreBase

__all__ = ["Keeping"]


class Keeping(StoreBase):
    """runner.store.Store's artifact methods."""

    def save_artifact(
        self, run_id: int, kind: str, step: int, data: bytes, fmt: str, keep: int = 1, directory: str | None = None
    ) -> ArtifactInfo:
        """Keep ``data`` as run ``run_id``'s newest ``kind`` ("checkpoint" or "weights"), saved after ``step``
        steps, in the database or (``directory``, the run's artifacts root) in a file under it; older ones beyond
        ``keep`` are removed (a file that cannot be is left with a warning line)."""
        kept.check_kind(kind)
        root = os.path.realpath(directory) if directory else None
        path = self._write_file(root, run_id, kind, step, fmt, data) if root else None
        try:
            with self._transaction() as conn:
                self._require(conn, [run_id])
                # the run's root recorded here too, should its options lack it (a run created before 0009's options)
                recorded = kept.claim_root(conn, run_id, root) if root else None
                info = kept.insert_artifact(conn, run_id, kind, step, fmt, data, path, recorded)
                old = kept.prune(conn, run_id, kind, keep)
        except BaseException:
            if root and path:
                kept.discard(root, path)
            raise
        kept.remove_files(old)
        return info

    def drop_artifacts(self, run_id: int, kind: str) -> None:
        """Remove every ``kind`` the run keeps (a completed run's checkpoints, which nothing resumes)."""
        kept.check_kind(kind)
        with self._transaction() as conn:
            old = kept.prune(conn, run_id, kind, 0)
        kept.remove_files(old)

    def latest_artifact(self, run_id: int, kind: str) -> Artifact | None:
        """Run ``run_id``'s newest ``kind`` with its bytes, checked against their SHA-256 (None: none kept).
        CheckpointError if its file is missing or the bytes are not the ones saved."""
        kept.check_kind(kind)
        with self._transaction(read_only=True) as conn:
            self._require(conn, [run_id])
            found = kept.latest(conn, run_id, kind)
        return None if found is None else kept.verified(*found)

    def artifacts(self, run_ids: Iterable[int]) -> dict[int, list[ArtifactInfo]]:
        """What each run keeps (no bytes), oldest first; every run asked about is a key."""
        ids = sorted(set(run_ids))
        with self._transaction(read_only=True) as conn:
            self._require(conn, ids)
            found: dict[int, list[ArtifactInfo]] = {i: [] for i in ids}
            for info in kept.infos(conn, ids) if ids else []:
                found[info.run_id].append(info)
        return found

    @staticmethod
    def _write_file(directory: str, run_id: int, kind: str, step: int, fmt: str, data: bytes) -> str:
        if not os.path.isdir(directory):
            raise CheckpointError(f"the artifacts directory {directory} does not exist; create it or give another")
        try:
            return kept.write_file(directory, run_id, kind, step, fmt, data)
        except OSError as exc:
            raise StorageError(f"cannot write the {kind} of run {run_id} under {directory} ({exc.strerror or exc}); "
                               "free space or give another --artifacts directory") from None
