"""Final weights: a state-dict .pt or an .npz that loads back into a freshly built model, and safely."""

import io
import pickle

import numpy
import pytest

from runner.checkpoints.weight_files import export_weights, load_weights, save_weights, snapshot, weights_bytes
from runner.errors import CheckpointError
from runner.testing.snapshots import same
from tests.checkpoints.conftest import MODELS, SMALL, losses, prepared
from tests.checkpoints.test_codec import Evil


@pytest.mark.parametrize("model", MODELS)
def test_weights_load_back_into_a_fresh_model(builtins, model, tmp_path):
    trainer = prepared(builtins, model, 3)
    losses(trainer, 3)
    path = save_weights(trainer.model, trainer.backend, tmp_path / "final")
    assert path.suffix == (".npz" if trainer.backend == "numpy" else ".pt")
    fresh = prepared(builtins, model, 3)
    assert not same(list(fresh.model.parameters()), list(trainer.model.parameters()))
    load_weights(fresh.model, fresh.backend, path)
    assert same([p.detach() if hasattr(p, "detach") else p for p in fresh.model.parameters()],
                [p.detach() if hasattr(p, "detach") else p for p in trainer.model.parameters()])


def test_an_nn_module_is_saved_as_its_state_dict_other_models_as_numbered_parameters(builtins):
    import torch

    module = prepared(builtins, "module", 1).model
    saved = torch.load(io.BytesIO(export_weights(module, "torch")), weights_only=True)
    assert list(saved) == ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    module.module.load_state_dict(saved)  # plain torch code can use the file
    tensor = prepared(builtins, "tensor", 1).model
    assert list(torch.load(io.BytesIO(export_weights(tensor, "torch")), weights_only=True)) == ["p0", "p1"]
    with numpy.load(io.BytesIO(export_weights(prepared(builtins, "numpy", 1).model, "numpy"))) as npz:
        assert npz.files == ["p0", "p1"] and npz["p0"].shape == (6, 5)


@pytest.mark.parametrize("model", ["numpy", "tensor", "module"])
def test_weights_of_other_shapes_are_refused(builtins, model):
    data = export_weights(prepared(builtins, model, 1).model, builtins.models[model].spec.backend)
    other = prepared(builtins, model, 1, sets=[*SMALL, "hidden=7"])
    with pytest.raises(CheckpointError, match=r"^the weights do not fit plugin .* load them into the model and settings "
                                              r"they were saved from$"):
        load_weights(other.model, other.backend, data, other.label)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_a_crafted_pickle_is_refused_as_weights(builtins, tmp_path, backend):
    model = prepared(builtins, "numpy" if backend == "numpy" else "tensor", 1).model
    for data in (pickle.dumps({"p0": Evil(tmp_path / "ran")}),
                 _object_npz(Evil(tmp_path / "ran"))):
        with pytest.raises(CheckpointError, match="^not a weights file that loads safely"):
            load_weights(model, backend, data)
    assert not (tmp_path / "ran").exists()


def _object_npz(obj):
    buffer = io.BytesIO()
    numpy.savez(buffer, p0=numpy.array([obj], dtype=object))
    return buffer.getvalue()


@pytest.mark.parametrize("model", MODELS)
def test_a_snapshot_is_a_copy_that_training_does_not_move_and_gives_the_weights_file_of_its_time(builtins, model):
    trainer = prepared(builtins, model, 4)
    losses(trainer, 2)
    copy, then = snapshot(trainer.model, trainer.backend), export_weights(trainer.model, trainer.backend)
    losses(trainer, 4, start=2)  # the weights move on; the copy (--keep-best's) must not
    assert weights_bytes(copy, trainer.backend) != export_weights(trainer.model, trainer.backend)
    fresh, kept = prepared(builtins, model, 4), prepared(builtins, model, 4)
    load_weights(fresh.model, fresh.backend, weights_bytes(copy, trainer.backend))
    load_weights(kept.model, kept.backend, then)
    assert same([p.detach() if hasattr(p, "detach") else p for p in fresh.model.parameters()],
                [p.detach() if hasattr(p, "detach") else p for p in kept.model.parameters()])
