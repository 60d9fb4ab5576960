# Kept hand-written, not pickle or safetensors: pickle runs code on load; safetensors holds tensors, not nested state.
"""A checkpoint as bytes, in a format whose loading never runs code from the file.

The bytes are a line naming the format, a line of JSON (the format's
version, the backend, and the payload's size and SHA-256), then the
payload. The payload holds the arrays and tensors, and one JSON header
for everything else (numbers, strings, lists, tuples and dicts, with each
array or tensor standing as its index):

* torch: ``torch.save`` of ``{"header": JSON, "tensors": [...]}``, read back
  with ``torch.load(..., weights_only=True)``; NumPy arrays (the global
  generator's state) go in as their bytes, with dtype and shape in the header;
* NumPy: ``numpy.savez`` of the header (its UTF-8 bytes) and the arrays,
  read back with ``numpy.load(..., allow_pickle=False)``.

No Python object is pickled, so no optimizer or model object is either:
their state dicts are saved and the run's config rebuilds them. A wrong
size (a truncated file) or checksum (a damaged or altered one), a payload
that a safe load refuses (a crafted pickle), or a header that does not
make a checkpoint is a CheckpointError; the size and checksum guard
against accidents, the safe loaders against code in the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from typing import Any

import numpy

from runner.checkpoints.state import Checkpoint
from runner.errors import CheckpointError

__all__ = ["MAGIC", "VERSION", "BACKENDS", "FIELDS", "LATER_FIELDS", "CANONICAL_NAN", "AGAIN", "encode", "decode",
    "first_line"]

MAGIC = b"runner checkpoint\n"
VERSION = 1
BACKENDS = ("numpy", "torch")
FIELDS = ("step", "backend", "params", "optimizer", "generators", "sampler", "elapsed", "label", "extra")
LATER_FIELDS = ("names", "schedule")  # written since; a checkpoint taken before has its default (runner.checkpoints.state)
CANONICAL_NAN = struct.unpack("<Q", struct.pack("<d", float("nan")))[0]
AGAIN = "resume from another checkpoint of the run, or start it again"


def encode(checkpoint: Checkpoint) -> bytes:
    """``checkpoint`` as bytes; a CheckpointError naming what cannot be saved safely."""
    if checkpoint.backend not in BACKENDS:
        raise CheckpointError(f"a checkpoint's backend is one of {', '.join(BACKENDS)}, not {checkpoint.backend!r}")
    leaves: list[Any] = []
    fields = {name: getattr(checkpoint, name) for name in FIELDS + LATER_FIELDS}
    header = json.dumps(_flatten(fields, leaves, "checkpoint"))
    payload = _torch_payload(header, leaves) if checkpoint.backend == "torch" else _numpy_payload(header, leaves)
    envelope = {"version": VERSION, "backend": checkpoint.backend, "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest()}
    return MAGIC + json.dumps(envelope).encode() + b"\n" + payload


def decode(data: bytes, backend: str | None = None) -> Checkpoint:
    """The checkpoint ``encode`` wrote (of ``backend``, when given); a CheckpointError for anything else."""
    if not data.startswith(MAGIC):
        raise CheckpointError(f"not a runner checkpoint (it does not begin {MAGIC.strip().decode()!r}); {AGAIN}")
    line, newline, payload = data[len(MAGIC):].partition(b"\n")
    try:
        envelope: Any = json.loads(line) if newline else None
        size, digest, saved_backend, version = envelope["size"], envelope["sha256"], envelope["backend"], envelope["version"]
    except (ValueError, TypeError, KeyError):
        raise CheckpointError(f"the checkpoint is truncated or damaged: its description cannot be read; {AGAIN}") from None
    if version != VERSION:
        raise CheckpointError(f"the checkpoint is of format {version!r}, this runner reads {VERSION}; "
                              "resume it with the runner version that took it")
    if saved_backend not in BACKENDS or (backend is not None and saved_backend != backend):
        raise CheckpointError(f"the checkpoint is of a {saved_backend} run, not {backend}; resume a run from its own checkpoints")
    if len(payload) != size:
        raise CheckpointError(f"the checkpoint is truncated: {len(payload)} of its {size} bytes are there; {AGAIN}")
    if hashlib.sha256(payload).hexdigest() != digest:
        raise CheckpointError(f"the checkpoint is damaged or was altered: its checksum does not match; {AGAIN}")
    header, leaves = _load_torch(payload) if saved_backend == "torch" else _load_numpy(payload)
    return _checkpoint(header, leaves, saved_backend)


# --- the tree of values: JSON, with arrays and tensors pulled out ---

def _flatten(value: Any, leaves: list[Any], where: str) -> Any:
    """``value`` as JSON-ready data; each array or tensor goes to ``leaves`` and stands as its index."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, numpy.generic):  # kept a NumPy scalar: numpy.float64 and float mix differently with float32
        return {"$scalar": _leaf(numpy.asarray(value), leaves, where)}
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, list):
        return [_flatten(v, leaves, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"$tuple": [_flatten(v, leaves, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _flatten(v, leaves, f"{where}[{k!r}]") for k, v in value.items()}
        return {"$dict": [[_flatten(k, leaves, where), _flatten(v, leaves, f"{where}[{k!r}]")] for k, v in value.items()]}
    if isinstance(value, numpy.ndarray) or _is_tensor(value):
        return {"$leaf": _leaf(value, leaves, where)}
    raise CheckpointError(f"{where} is a {type(value).__name__}, which a checkpoint cannot hold safely: "
                          "keep state in arrays, tensors, numbers, strings, and lists, tuples and dicts of them")


def _float(value: float) -> Any:
    """``value`` for JSON; a NaN other than float("nan") (x86 makes inf - inf a negative one) as its bits,
    which JSON's ``NaN`` would lose."""
    if value == value:
        return value
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    return value if bits == CANONICAL_NAN else {"$nan": bits}


def _is_tensor(value: Any) -> bool:
    import sys

    torch: Any = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _leaf(value: Any, leaves: list[Any], where: str) -> int:
    if isinstance(value, numpy.ndarray) and value.dtype.hasobject:
        raise CheckpointError(f"{where} is an array of Python objects, which a checkpoint cannot hold safely")
    leaves.append(value)
    return len(leaves) - 1


def _unflatten(value: Any, leaves: list[Any]) -> Any:
    if isinstance(value, list):
        return [_unflatten(v, leaves) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, inner), = value.items()
        if key == "$leaf":
            return leaves[inner]
        if key == "$scalar":
            return leaves[inner][()]
        if key == "$nan":
            return struct.unpack("<d", struct.pack("<Q", inner))[0]
        if key == "$tuple":
            return tuple(_unflatten(v, leaves) for v in inner)
        if key == "$dict":
            return {_unflatten(k, leaves): _unflatten(v, leaves) for k, v in inner}
    return {k: _unflatten(v, leaves) for k, v in value.items()}


def _checkpoint(header: Any, leaves: list[Any], backend: str) -> Checkpoint:
    try:
        tree = _unflatten(header, leaves)
        checkpoint = Checkpoint(**{name: tree[name] for name in FIELDS},
                                **{name: tree[name] for name in LATER_FIELDS if name in tree})
        assert checkpoint.backend == backend and isinstance(checkpoint.step, int) and isinstance(checkpoint.params, list)
        assert isinstance(checkpoint.optimizer, dict) and isinstance(checkpoint.generators, dict)
        names = checkpoint.names
        assert names is None or (isinstance(names, list) and len(names) == len(checkpoint.params)
                                 and all(isinstance(n, str) for n in names))
        assert not isinstance(checkpoint.step, bool) and checkpoint.step >= 0
    except (KeyError, TypeError, ValueError, AssertionError, IndexError, struct.error):
        raise CheckpointError(f"the checkpoint's contents are not those of a runner checkpoint; {AGAIN}") from None
    return checkpoint


# --- torch: torch.save, and torch.load(weights_only=True) ---

def _torch_payload(header: str, leaves: list[Any]) -> bytes:
    import torch

    tensors: list[Any] = []
    kinds: list[Any] = []
    for leaf in leaves:
        if isinstance(leaf, numpy.ndarray):  # its bytes; the dtype and shape go in the header
            raw = numpy.frombuffer(numpy.ascontiguousarray(leaf).tobytes(), dtype=numpy.uint8).copy()
            tensors.append(torch.from_numpy(raw))
            kinds.append([leaf.dtype.str, list(leaf.shape)])
        else:
            tensors.append(leaf.detach().cpu())
            kinds.append(None)
    buffer = io.BytesIO()
    torch.save({"header": header, "kinds": json.dumps(kinds), "tensors": tensors}, buffer)
    return buffer.getvalue()


def _load_torch(payload: bytes) -> tuple[Any, list[Any]]:
    import torch

    try:
        data = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
        header, kinds, tensors = json.loads(data["header"]), json.loads(data["kinds"]), data["tensors"]
        assert isinstance(tensors, list) and len(kinds) == len(tensors)
        assert all(isinstance(t, torch.Tensor) for t in tensors)
        leaves = [t if kind is None else numpy.frombuffer(t.numpy().tobytes(), dtype=numpy.dtype(kind[0])).reshape(kind[1])
                  for t, kind in zip(tensors, kinds)]
    except Exception as exc:
        raise CheckpointError(f"the checkpoint holds data that a safe load refuses ({first_line(exc)}): it was not written "
                              f"by runner, so it is not loaded; {AGAIN}") from None
    return header, leaves


# --- NumPy: numpy.savez, and numpy.load(allow_pickle=False) ---

def _numpy_payload(header: str, leaves: list[Any]) -> bytes:
    arrays: dict[str, Any] = {}
    for i, leaf in enumerate(leaves):
        if not isinstance(leaf, numpy.ndarray):
            raise CheckpointError(f"a NumPy run's checkpoint holds a {type(leaf).__name__}: keep NumPy state in arrays")
        arrays[f"a{i}"] = leaf
    buffer = io.BytesIO()
    numpy.savez(buffer, header=numpy.frombuffer(header.encode(), dtype=numpy.uint8), **arrays)
    return buffer.getvalue()


def _load_numpy(payload: bytes) -> tuple[Any, list[Any]]:
    try:
        with numpy.load(io.BytesIO(payload), allow_pickle=False) as data:
            header = json.loads(data["header"].tobytes().decode())
            leaves = [data[f"a{i}"] for i in range(len(data.files) - 1)]
    except Exception as exc:
        raise CheckpointError(f"the checkpoint holds data that a safe load refuses ({first_line(exc)}): it was not written "
                              f"by runner, so it is not loaded; {AGAIN}") from None
    return header, leaves


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
