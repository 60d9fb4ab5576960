"""The domain errors. The CLI turns each into a one-line message."""


class RunnerError(Exception):
    """Base class: something the user can fix, described in one line."""


class ConfigError(RunnerError):
    """A run was asked for with a model, optimizer, setting or device that does not work."""


class OptionError(ConfigError):
    """A command-line option's value cannot work (``--eval-every 0``): a usage error, exit status 2."""


class RunStateError(ConfigError):
    """A command that does not apply to a run as it stands (resuming a completed run): the user's to fix, exit 2."""


class PluginError(RunnerError):
    """A plugin could not be loaded or registered something unusable."""


class StorageError(RunnerError):
    """The database could not be opened, read or written."""


class StorageUnavailable(StorageError):
    """A database fault that may pass (locked, full, unreachable, a lost connection): worth trying again.

    A running run keeps its rows and retries for a while (runner.training.patience) before it fails."""


class DatabaseGaveUp(StorageError):
    """A database fault lasted past ``--db-deadline``: the process gave up on the database (runner.training.patience), and
    what it could not write is lost. A sweep worker then exits with its own status (runner.execution.local_worker.GAVE_UP_EXIT),
    so that the run is not taken for one killed."""


class RunNotFound(RunnerError):
    """A run id that is not in the database."""


class RunTakenOver(RunnerError):
    """A process wrote to a run that is no longer its own (``runner resume`` gave it to another): it must stop."""


class CheckpointError(RunnerError):
    """A checkpoint or a run's kept weights cannot be used: missing, damaged, unsafe, or from another model."""


class SweepNameTaken(ConfigError):
    """A new grid under a sweep name in use: refused (exit 2) unless the user asks to add to that sweep (--add)."""


class OutputRefused(ConfigError):
    """An output path that runner will not write: empty, in a missing folder, a device, FIFO, socket or folder, or
    a file that exists without ``--force``. Refused (exit 2) before any output of the command is written."""


class OutputFailed(RunnerError):
    """An output that could not be written (a full disk, an I/O error): exit 1. A file is written whole or not at
    all, so none is left half written, and no temporary file is left behind."""


class SchedulerUnreachable(ConfigError):
    """No Dask scheduler answers at a well-formed address (none started there yet, or it went away): ``runner run``
    refuses in one line (exit 2); ``runner worker`` exits runner.cli.worker.UNREACHABLE_EXIT, for a supervisor to try
    again later."""


class ForeignDatabase(ConfigError, StorageError):
    """A database that is not runner's (another application's tables or application id, or not SQLite at all):
    refused untouched, exit 2."""


class NoDatabase(ConfigError, StorageError):
    """A command that works on stored runs (rm, resume, stop, show) was pointed at a database that does not exist:
    it creates none, exit 2."""
