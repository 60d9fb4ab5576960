"""The sine plugin: the current "Learning PyTorch with Examples" tutorial, as a runner plugin.

The tutorial fits y = sin(x) on [-pi, pi] with a third-order polynomial,
once per section. Each section is a model here, registered with the
section's own optimizer and learning rate, and every model trains on the
``sine`` dataset by default:

    sine_numpy      Warm-up: numpy                     gd       1e-6
    sine_tensor     PyTorch: Tensors                   gd       1e-6
    sine_autograd   PyTorch: Tensors and autograd      gd       1e-6
    sine_legendre   Defining new autograd Functions    gd       5e-6
    sine_nn         PyTorch: nn                        gd       1e-6
    sine_optim      PyTorch: optim                     rmsprop  1e-3
    sine_module     PyTorch: Custom nn Modules         sgd      1e-6
    sine_dynamic    Control Flow + Weight Sharing      sgd      1e-8, momentum 0.9

This module only registers; numpy and torch are imported when a run
builds something.
"""

from runner import DatasetSpec, ModelSpec, hookimpl
from runner.shapes import BATCH_OF_SCALARS
from runner.specs import lazy

POINTS = 2000


def build_sine(backend, points=POINTS):
    """x = linspace(-pi, pi, points), y = sin(x): float64 NumPy arrays or float32 torch tensors, as the tutorial has them."""
    import math

    if backend == "numpy":
        import numpy as np

        x = np.linspace(-math.pi, math.pi, points)
        y = np.sin(x)
        return x, y
    if backend == "torch":
        import torch

        x = torch.linspace(-math.pi, math.pi, points, dtype=torch.float)
        y = torch.sin(x)
        return x, y
    raise ValueError(f"the sine dataset has no {backend!r} backend; use numpy or torch")


def sine_shapes(points=POINTS):
    return (points,), (points,)


@hookimpl
def register_datasets(register):
    register(
        DatasetSpec(
            name="sine",
            build=build_sine,
            shapes=sine_shapes,
            params={"points": POINTS},
            description="the tutorial's x = linspace(-pi, pi, 2000) and y = sin(x)",
        )
    )


# name, module, backend, optimizer, lr, optimizer options, the tutorial's steps, description
SECTIONS = [
    ("sine_numpy", "numpy_poly", "numpy", "gd", 1e-6, {}, 2000,
     "a + b x + c x^2 + d x^3 in NumPy, gradients by hand (tutorial: Warm-up: numpy)"),
    ("sine_tensor", "tensor_poly", "torch", "gd", 1e-6, {}, 2000,
     "the polynomial on torch tensors, gradients by hand (tutorial: PyTorch: Tensors)"),
    ("sine_autograd", "autograd_poly", "torch", "gd", 1e-6, {}, 2000,
     "the polynomial on tensors that require grad (tutorial: Tensors and autograd)"),
    ("sine_legendre", "legendre_poly", "torch", "gd", 5e-6, {}, 2000,
     "a + b P3(c + d x) with the custom Function LegendrePolynomial3 (tutorial: new autograd Functions)"),
    ("sine_nn", "nn_poly", "torch", "gd", 1e-6, {}, 2000,
     "nn.Sequential(Linear(3, 1), Flatten(0, 1)) on (x, x^2, x^3) (tutorial: PyTorch: nn)"),
    ("sine_optim", "nn_poly", "torch", "rmsprop", 1e-3, {}, 2000,
     "the nn model, trained with RMSprop (tutorial: PyTorch: optim)"),
    ("sine_module", "module_poly", "torch", "sgd", 1e-6, {}, 2000,
     "Polynomial3(nn.Module) with SGD (tutorial: Custom nn Modules)"),
    ("sine_dynamic", "dynamic_poly", "torch", "sgd", 1e-8, {"momentum": 0.9}, 30000,
     "DynamicNet: a random 4th and 5th order term sharing one weight (tutorial: Control Flow + Weight Sharing)"),
]


@hookimpl
def register_models(register):
    for name, module, backend, optimizer, lr, options, steps, description in SECTIONS:
        register(
            ModelSpec(
                name=name,
                # each section module's build_model(d_in, d_out, device), imported when a run builds it
                build=lazy(f".{module}:build_model", __name__),
                backend=backend,
                optimizer=optimizer,
                lr=lr,
                optimizer_options=options,
                dataset="sine",
                steps=steps,
                shapes=BATCH_OF_SCALARS,  # x and y are both (n,): one number per sample
                description=description,
            )
        )
