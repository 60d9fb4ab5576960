"""The checkpoint codec's round trip (runner/checkpoints/codec.py), over checkpoints Hypothesis makes up.

Whatever nested state a checkpoint holds (dicts with any keys, lists, tuples, None, bools, whole numbers of
any size, floats including NaN, infinities and -0.0, text, NumPy scalars, arrays and, in a torch run,
tensors of every dtype and shape, contiguous or not) decodes to the same types, dtypes, shapes and bytes.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from runner.checkpoints.codec import decode, encode
from runner.checkpoints.state import Checkpoint

FAST = settings(max_examples=60, deadline=None, database=None)  # the fast tier: the module well under 3 s

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128", ">f8", ">i4"]
TORCH_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64", "complex64"]
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def arrays(dtypes: list[str]) -> st.SearchStrategy[numpy.ndarray]:
    made = hnp.arrays(st.sampled_from(dtypes).map(numpy.dtype), shapes)
    return st.one_of(made, made.map(lambda a: a.T), made.map(numpy.asfortranarray))  # and not C-contiguous ones


def to_tensor(array: numpy.ndarray, bfloat16: bool, transpose: bool) -> torch.Tensor:
    tensor = torch.from_numpy(numpy.ascontiguousarray(array))
    if bfloat16 and tensor.is_floating_point():
        tensor = tensor.to(torch.bfloat16)
    return tensor.t() if transpose and tensor.dim() == 2 else tensor


tensors = st.builds(to_tensor, arrays(TORCH_DTYPES), st.booleans(), st.booleans())
numpy_scalars = hnp.arrays(st.sampled_from(DTYPES).map(numpy.dtype), ()).map(lambda a: a[()])
plain = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5))
keys = st.one_of(st.text(max_size=6), st.sampled_from(["$leaf", "$tuple", "$dict", "$scalar", "$x"]), st.integers(),
                 st.tuples(st.integers(), st.text(max_size=2)))


def trees(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaf,
        lambda children: st.one_of(st.lists(children, max_size=3), st.lists(children, max_size=3).map(tuple),
                                   st.dictionaries(keys, children, max_size=3)),
        max_leaves=8,
    )


@st.composite
def checkpoints(draw: st.DrawFn, backend: str) -> Checkpoint:
    leaf_arrays = arrays(DTYPES) if backend == "numpy" else st.one_of(tensors, arrays(DTYPES))
    state = trees(st.one_of(plain, numpy_scalars, leaf_arrays))
    params = draw(st.lists(leaf_arrays, max_size=3))
    return Checkpoint(
        step=draw(st.integers(min_value=0, max_value=2**63)),
        backend=backend,
        params=params,
        optimizer=draw(st.dictionaries(keys, state, max_size=3)),
        generators=draw(st.dictionaries(st.text(max_size=6), state, max_size=3)),
        sampler=draw(st.none() | st.dictionaries(st.text(max_size=6), state, max_size=2)),
        elapsed=draw(st.floats()),
        label=draw(st.text(max_size=10)),
        extra=draw(st.dictionaries(st.text(max_size=6), state, max_size=2)),
        names=draw(st.none() | st.lists(st.text(max_size=6), min_size=len(params), max_size=len(params))),
    )


def identical(a: Any, b: Any, where: str = "checkpoint") -> None:
    """Assert ``a`` and ``b`` are the same value bit for bit: same types, keys in order, dtypes, shapes, bytes."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} came back as {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} came back as {list(b)}"
        for (ka, va), (kb, vb) in zip(a.items(), b.items()):
            identical(ka, kb, f"{where} key")
            identical(va, vb, f"{where}[{ka!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: {len(a)} items came back as {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            identical(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{where}: {a.dtype} {tuple(a.shape)} -> {b.dtype} {tuple(b.shape)}"
        assert _tensor_bytes(a) == _tensor_bytes(b), f"{where}: the tensor's bytes changed"
    elif isinstance(a, (numpy.ndarray, numpy.generic)):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{where}: {a.dtype} {a.shape} -> {b.dtype} {b.shape}"
        assert a.tobytes() == b.tobytes(), f"{where}: the array's bytes changed"
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b), f"{where}: {a!r} came back as {b!r}"
    else:
        assert a == b, f"{where}: {a!r} came back as {b!r}"


def _tensor_bytes(tensor: torch.Tensor) -> bytes:
    flat = tensor.detach().contiguous().reshape(-1)
    return bytes(flat.view(torch.uint8).numpy()) if flat.numel() else b""


def round_trip(checkpoint: Checkpoint) -> None:
    back = decode(encode(checkpoint), checkpoint.backend)
    for name in ("step", "backend", "params", "optimizer", "generators", "sampler", "elapsed", "label", "extra", "names"):
        identical(getattr(checkpoint, name), getattr(back, name), name)


@FAST
@given(checkpoints("numpy"))
def test_a_numpy_run_s_checkpoint_decodes_bitwise(checkpoint):
    round_trip(checkpoint)


@FAST
@given(checkpoints("torch"))
def test_a_torch_run_s_checkpoint_decodes_bitwise(checkpoint):
    round_trip(checkpoint)


def test_a_nan_keeps_its_sign_and_payload():
    """x86 makes inf - inf a NaN with its sign bit set; JSON alone would bring back float("nan") (found by the above)."""
    negative = struct.unpack("<d", bytes.fromhex("000000000000f8ff"))[0]
    payload = struct.unpack("<d", bytes.fromhex("010000000000f87f"))[0]
    round_trip(Checkpoint(step=0, backend="numpy", params=[], optimizer={"best": [negative, payload, float("nan")]},
                          generators={}, elapsed=negative))


def test_a_nan_of_crafted_bits_is_a_checkpoint_error():
    import json

    from runner.checkpoints.codec import _numpy_payload
    from runner.errors import CheckpointError
    from tests.checkpoints.test_codec import wrapped

    fields = {"step": 0, "backend": "numpy", "params": [], "optimizer": {}, "generators": {}, "sampler": None,
              "elapsed": {"$nan": "not bits"}, "label": "", "extra": {}}
    with pytest.raises(CheckpointError, match="the checkpoint's contents are not those of a runner checkpoint"):
        decode(wrapped(_numpy_payload(json.dumps(fields), []), "numpy"))
