"""Checkpoint bytes load back exactly, and nothing else loads: damage, truncation and crafted pickles are refused."""

import hashlib
import io
import json
import pickle

import numpy
import pytest

from runner.checkpoints.codec import MAGIC, decode, encode
from runner.checkpoints.state import Checkpoint, capture
from runner.errors import CheckpointError
from tests.checkpoints.conftest import losses, prepared


class Evil:
    """Unpickling this runs code: it writes ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (exec, (f"open({self.path!r}, 'w').write('ran')",))


def wrapped(payload, backend):
    """``payload`` in a checkpoint's envelope, with the right size and checksum: only the safe load stands in the way."""
    envelope = {"version": 1, "backend": backend, "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    return MAGIC + json.dumps(envelope).encode() + b"\n" + payload


@pytest.fixture(params=["numpy", "sequential"])
def taken(request, builtins):
    """A checkpoint of a numpy or torch model with Adam's state and --batch-size, after 3 steps."""
    trainer = prepared(builtins, request.param, 6, optimizer="adam", lr=1e-2, batch_size=5)
    losses(trainer, 3)
    return capture(trainer, 3, 0.5)


def test_a_checkpoint_decodes_to_what_was_encoded(taken):
    from runner.testing.snapshots import same

    back = decode(encode(taken), taken.backend)
    for name in ("step", "backend", "elapsed", "label", "params", "optimizer", "generators", "sampler", "extra"):
        assert same(getattr(back, name), getattr(taken, name)), name
    assert back.generators["python"]["version"] == 3 and isinstance(back.sampler["generator"]["state"]["state"], int)


def test_numpy_scalars_tuples_and_other_keys_keep_their_types():
    odd = {"$keep": (1, 2.5), 3: numpy.float64(0.1), "flag": numpy.bool_(True), "none": None, "nan": float("nan")}
    checkpoint = Checkpoint(1, "numpy", [numpy.zeros(2)], {"kind": "attributes", "state": odd}, {}, None, 0.0, "m", {})
    back = decode(encode(checkpoint)).optimizer["state"]
    assert back["$keep"] == (1, 2.5) and type(back[3]) is numpy.float64 and back[3] == numpy.float64(0.1)
    assert type(back["flag"]) is numpy.bool_ and back["none"] is None and numpy.isnan(back["nan"])


def test_what_cannot_be_saved_safely_is_named():
    checkpoint = Checkpoint(1, "numpy", [], {"kind": "state_dict", "state": {"rng": numpy.random.default_rng()}}, {})
    with pytest.raises(CheckpointError, match=r"checkpoint\['optimizer'\]\['state'\]\['rng'\] is a Generator, which a "
                                              r"checkpoint cannot hold safely"):
        encode(checkpoint)


def test_a_damaged_checkpoint_is_refused(taken):
    data = bytearray(encode(taken))
    data[-100] ^= 0x01
    with pytest.raises(CheckpointError, match="^the checkpoint is damaged or was altered: its checksum does not match; "
                                              "resume from another checkpoint of the run, or start it again$"):
        decode(bytes(data))


@pytest.mark.parametrize("keep", [-1, 30, 0])
def test_a_truncated_checkpoint_is_refused(taken, keep):
    data = encode(taken)
    cut = data[: len(data) + keep] if keep < 0 else data[: len(MAGIC) + keep]
    with pytest.raises(CheckpointError, match="truncated|not a runner checkpoint"):
        decode(cut)


def test_another_backend_or_something_else_entirely_is_refused(taken):
    with pytest.raises(CheckpointError, match="not a runner checkpoint"):
        decode(b"PK\x03\x04 a zip file")
    other = "torch" if taken.backend == "numpy" else "numpy"
    with pytest.raises(CheckpointError, match=f"is of a {taken.backend} run, not {other}"):
        decode(encode(taken), other)


def crafted(kind, marker):
    """Payloads whose loading would run Evil's code, if anything loaded them unsafely."""
    import torch

    if kind == "pickle":
        return pickle.dumps({"header": "{}", "tensors": [Evil(marker)]})
    buffer = io.BytesIO()
    if kind == "torch.save":
        torch.save({"header": "{}", "kinds": "[null]", "tensors": [Evil(marker)]}, buffer)
    else:  # an object array in an npz: numpy pickles it
        numpy.savez(buffer, header=numpy.frombuffer(b"{}", dtype=numpy.uint8), a0=numpy.array([Evil(marker)], dtype=object))
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
@pytest.mark.parametrize("backend", ["torch", "numpy"])
@pytest.mark.parametrize("kind", ["pickle", "torch.save", "npz of objects"])
def test_a_crafted_pickle_is_refused_and_its_code_never_runs(tmp_path, backend, kind):
    marker = tmp_path / "ran"
    payload = crafted(kind, marker)
    pickle.loads(pickle.dumps(Evil(tmp_path / "check")))  # the payload is live: unpickled, it runs
    assert (tmp_path / "check").exists()
    with pytest.raises(CheckpointError, match="^the checkpoint holds data that a safe load refuses .*: it was not written by "
                                              "runner, so it is not loaded; "):
        decode(wrapped(payload, backend))
    with pytest.raises(CheckpointError, match="not a runner checkpoint"):
        decode(payload)
    assert not marker.exists()
