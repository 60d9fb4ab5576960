"""Checkpoints: everything a run needs to continue exactly where it stopped, and its final weights.

``state`` takes a ``Checkpoint`` from a trainer between steps and puts one
back (``capture``, ``restore``); ``codec`` turns one into bytes and back in
a safe format (loading never runs code from the file); ``weights`` saves and
loads a model's final weights; ``every`` reads how often a run takes one.
Importing this package imports neither torch nor the submodules.
"""

__all__ = []
