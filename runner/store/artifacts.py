"""What a run keeps besides its numbers: its latest checkpoint(s) and its final weights.

By default the bytes live in the ``artifacts`` table, so that a checkpoint
saved on one host is read on another through a shared PostgreSQL and one
experiments.db still holds everything. Given a directory (``--artifacts``),
they go to a file under it and the row keeps its path. Either way the row
keeps the size and the SHA-256 of the bytes, checked on every read, so a
damaged or replaced file is refused rather than loaded.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select

from runner.errors import CheckpointError
from runner.processes import host_name
from runner.store.models import ARTIFACT_KINDS, artifacts, utcnow

INFO_COLUMNS = [c for c in artifacts.c if c.name != "data"]


@dataclass(frozen=True)
class ArtifactInfo:
    """One kept artifact, without its bytes."""

    id: int
    run_id: int
    kind: str  # "checkpoint" or "weights"
    step: int  # the steps done when it was saved
    format: str  # "pt" or "npz"
    size: int
    sha256: str
    path: str | None  # the file, when kept under an --artifacts directory
    host: str | None
    created_at: datetime


@dataclass(frozen=True)
class Artifact:
    info: ArtifactInfo
    data: bytes


def check_kind(kind: str) -> None:
    if kind not in ARTIFACT_KINDS:
        raise ValueError(f"unknown artifact kind {kind!r}; expected one of {', '.join(ARTIFACT_KINDS)}")


def write_file(directory: str, run_id: int, kind: str, step: int, fmt: str, data: bytes) -> str:
    """Write ``data`` under ``directory`` atomically (a crash leaves the old file or the new one, never half)."""
    folder = Path(directory) / f"run-{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    # A unique name: saving twice at one step must not overwrite a file that a row still names.
    final = folder / f"{kind}-{step}-{uuid.uuid4().hex[:8]}.{fmt}"
    partial = final.with_name(final.name + ".partial")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, final)
    return str(final.resolve())


def insert_artifact(
    conn: Connection, run_id: int, kind: str, step: int, fmt: str, data: bytes, path: str | None
) -> ArtifactInfo:
    """Add one artifact row: the bytes themselves, or (``path`` given) the file that holds them."""
    values = dict(run_id=run_id, kind=kind, step=step, format=fmt, size=len(data),
                  sha256=hashlib.sha256(data).hexdigest(), data=None if path else data, path=path,
                  host=host_name(), created_at=utcnow())
    key = conn.execute(insert(artifacts).values(values)).inserted_primary_key
    assert key is not None
    values.pop("data")
    return ArtifactInfo(id=key[0], **values)  # type: ignore[arg-type]


def prune(conn: Connection, run_id: int, kind: str, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` artifacts of ``kind``; returns the files their rows named."""
    rows = conn.execute(
        select(artifacts.c.id, artifacts.c.path)
        .where(artifacts.c.run_id == run_id, artifacts.c.kind == kind)
        .order_by(artifacts.c.id.desc())
    ).all()
    old = rows[keep:]
    if old:
        conn.execute(delete(artifacts).where(artifacts.c.id.in_([r.id for r in old])))
    return [r.path for r in old if r.path]


def files_of(conn: Connection, run_ids: list[int]) -> list[str]:
    """The files kept for these runs (to remove once their rows are gone)."""
    query = select(artifacts.c.path).where(artifacts.c.run_id.in_(run_ids), artifacts.c.path.is_not(None))
    return list(conn.scalars(query))


def remove_files(paths: list[str]) -> None:
    """Remove files whose rows were deleted; one already gone is no loss."""
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        try:
            os.rmdir(os.path.dirname(path))  # the run's folder, once empty
        except OSError:
            pass


def latest(conn: Connection, run_id: int, kind: str) -> tuple[ArtifactInfo, bytes | None] | None:
    """The newest artifact of ``kind`` with its bytes if the row holds them (None: none kept)."""
    row = conn.execute(
        select(*INFO_COLUMNS, artifacts.c.data)
        .where(artifacts.c.run_id == run_id, artifacts.c.kind == kind)
        .order_by(artifacts.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    mapping = dict(row._mapping)
    data = mapping.pop("data")
    return ArtifactInfo(**mapping), None if data is None else bytes(data)


def infos(conn: Connection, run_ids: list[int]) -> list[ArtifactInfo]:
    query = select(*INFO_COLUMNS).where(artifacts.c.run_id.in_(run_ids)).order_by(artifacts.c.run_id, artifacts.c.id)
    return [ArtifactInfo(**row._mapping) for row in conn.execute(query)]


def verified(info: ArtifactInfo, data: bytes | None) -> Artifact:
    """The artifact's bytes (read from its file if kept in one), refused unless they are what was saved."""
    what = f"the {info.kind} of run {info.run_id} (step {info.step})"
    if data is None:
        assert info.path is not None  # the CHECK one_place: bytes or a path
        try:
            data = Path(info.path).read_bytes()
        except OSError as exc:
            raise CheckpointError(
                f"{what} was kept in {info.path}, which cannot be read ({exc.strerror or exc}); "
                "restore the --artifacts directory, or start the run over with --restart"
            ) from None
    if len(data) != info.size or hashlib.sha256(data).hexdigest() != info.sha256:
        raise CheckpointError(
            f"{what} is damaged: its bytes are not the ones saved ({len(data)} bytes, expected {info.size}); "
            "start the run over with --restart"
        )
    return Artifact(info, data)
