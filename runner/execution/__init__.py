"""How a sweep's runs are carried out: the executor protocol and ``drive``, the local pool and its worker
processes, Dask and SLURM, and stopping a sweep.

Depends on ``runner.training`` (which runs one experiment) and the store; nothing below it imports it.
"""
