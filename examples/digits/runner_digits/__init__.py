"""The digits plugin: classify scikit-learn's 8x8 handwritten digits with a small MLP.

Registers one dataset and one model:

    digits      1797 images of the digits 0-9, 64 pixels scaled to [0, 1];
                a fixed 20% held out for validation (``holdout``); 10 classes
    digits_mlp  Linear(64, hidden), ReLU, Linear(hidden, 10), cross-entropy;
                reports its batch ``accuracy`` and is evaluated on the held-out
                split as ``val_loss`` and ``val_accuracy``; adam, lr 3e-3, 1000 steps

    runner run --model digits_mlp --batch-size 64 --eval-every 100

This module only registers: scikit-learn, numpy and torch are imported when
a run builds the dataset or the model.
"""

from runner import DatasetSpec, ModelSpec, hookimpl
from runner.shapes import CLASSES
from runner.specs import lazy
from runner_digits import data  # imports nothing heavy: scikit-learn only when build runs


@hookimpl
def register_datasets(register):
    register(
        DatasetSpec(
            name="digits",
            build=data.build,  # the training split
            validation=data.validation,  # the held-out split, for --eval-every
            shapes=data.shapes,
            classes=data.CLASSES,  # y holds class indices 0..9: the model's build gets d_out=10
            params={"holdout": data.HOLDOUT},  # --set holdout=0.3 holds out 30%
            description="scikit-learn's 8x8 handwritten digits, 10 classes; 20% held out for validation",
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="digits_mlp",
            build=lazy(".mlp:build_model", __name__),  # imports torch when a run builds it
            optimizer="adam",
            lr=3e-3,
            params={"hidden": 64},
            dataset="digits",
            steps=1000,
            shapes=CLASSES,  # x is (n, d_in), y is (n,) class indices
            metrics={"accuracy": "max"},  # higher is better, for `runner ls/report --metric`
            description="Linear, ReLU, Linear with cross-entropy; reports accuracy",
        )
    )
