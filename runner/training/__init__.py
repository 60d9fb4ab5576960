"""One run's training: the loop (``engine``), its options, buffers and batches, evaluation (in evaluation
mode: ``modes``), tracked values, seeding, timeouts, patience, signals, devices and the heartbeat, and
``runs``, which ties them to a store.

Depends on the store, the registry and the plugin API; never on ``runner.execution`` or ``runner.cli``.
"""

__all__ = []
