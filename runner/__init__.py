"""runner: a plugin-based experiment runner for PyTorch and NumPy training.

Plugin authors need two things from here: ``hookimpl`` to mark their hook
functions, and the spec classes they register (``ModelSpec``,
``OptimizerSpec``, ``DatasetSpec``). Nothing here imports torch.
"""

import pluggy

from runner.specs import DatasetSpec, ModelSpec, OptimizerSpec

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("runner")

__all__ = ["hookimpl", "ModelSpec", "OptimizerSpec", "DatasetSpec", "__version__"]
