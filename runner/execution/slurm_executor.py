"""Working a sweep's queue on SLURM: dask-jobqueue's SLURMCluster submits the workers as SLURM jobs, and
runner.execution.dask_executor.DaskExecutor works the queue on them.

Imported only for ``--executor slurm`` (``dask_jobqueue`` itself only once asked for). The Dask scheduler
runs in this process; each job runs ``runner worker`` (runner.execution.slurm_job), so its workers are runner slots
as on any host. The jobs are cancelled when the sweep ends. A job that SLURM ends before (scancel, its
walltime, a failed node) gives its run back to the queue (``--retries``), and is submitted again while
the sweep goes on; one that ended before any of its workers joined is not (it would fail again).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.errors import ConfigError, OptionError
from runner.execution.dask_executor import DaskExecutor, check_devices, local_addresses, loopback, one_line, workers
from runner.execution.slots import cpu_slots
from runner.execution.slurm_options import SlurmJobs

if TYPE_CHECKING:
    from distributed import Client

    from runner.execution.executor import PoolOptions
    from runner.store import RunRecord, Store

INSTALL = 'pip install -e ".[slurm]"'
JOB_NAME = "runner-worker"  # what squeue shows
CLUSTER_NAME = "runner"  # its jobs are runner-0, runner-1, ...; the workers of SLURM job J runner-N-J-0, ...
# seconds a job's workers wait for this process's scheduler to answer as they start; once joined, they end as soon
# as it goes away (Dask ends a worker whose scheduler connection breaks), and so does their job
DEATH_TIMEOUT = 60.0
LOOK_SECONDS = 1.0  # how often the scheduler's workers are compared with the jobs
# squeue is asked which jobs SLURM ended this often, or sooner (at most every SOON) once a job's workers left
SQUEUE_SECONDS = 60.0
SQUEUE_SOON_SECONDS = 2.0
COMMAND_SECONDS = 60.0
LIVE_STATES = "PENDING,CONFIGURING,RUNNING,SUSPENDED"


def check_installed() -> None:
    try:
        import dask_jobqueue  # noqa: F401
    except ImportError:
        raise ConfigError(f"--executor slurm needs dask-jobqueue: {INSTALL}") from None
    if shutil.which("sbatch") is None:
        raise ConfigError("--executor slurm needs SLURM's commands, and sbatch is not on PATH: run runner where "
                          "you submit SLURM jobs (a login node)")


def job_options(jobs: SlurmJobs, per_device: int) -> dict[str, Any]:
    """SLURMCluster's keywords for ``jobs``. What runner has no option for (memory, a module to load, the
    network interface) comes from dask-jobqueue's configuration (jobqueue.slurm: ~/.config/dask/jobqueue.yaml)."""
    import dask

    def config(key: str) -> Any:
        return dask.config.get(f"jobqueue.slurm.{key}", None)

    skip = list(config("job-directives-skip") or [])
    if jobs.walltime is None:
        skip.append("#SBATCH -t ")  # the partition's default, not dask-jobqueue's 30 minutes
    if config("memory") is None:
        skip.append("#SBATCH --mem")  # the partition's default (dask-jobqueue insists on a figure)
    directives = list(config("job-extra-directives") or []) + ([f"--gres=gpu:{jobs.gpus}"] if jobs.gpus else [])
    slot_args = ["--per-device", str(per_device), "--cpu-slots", str(cpu_slots(jobs.gpus, jobs.cpu_slots)),
                 "--death-timeout", f"{DEATH_TIMEOUT:g}"]
    chosen = {"queue": jobs.partition, "account": jobs.account, "walltime": jobs.walltime}
    return dict({k: v for k, v in chosen.items() if v is not None}, cores=jobs.slots(per_device), processes=1,
                memory=config("memory") or "1GiB", job_name=JOB_NAME, job_directives_skip=skip,
                job_extra_directives=directives, slot_args=slot_args)


def slurm(argv: list[str], what: str) -> str:
    """Run a SLURM command; its stdout, or ConfigError with ``what`` and SLURM's own first error line."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{what}: {argv[0]} failed ({one_line(exc)})") from None
    if done.returncode:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        errors = [line.partition("error: ")[2] for line in lines if "error: " in line]
        raise ConfigError(f"{what}: {(errors or lines or [f'{argv[0]} exited with status {done.returncode}'])[0]}")
    return done.stdout


def check_job(options: dict[str, Any]) -> None:
    """``sbatch --test-only`` of the job's script: a partition, account, GPU count or walltime that SLURM does
    not take is refused in one line before any job is submitted."""
    from runner.execution.slurm_job import SlotsJob

    script = SlotsJob("tcp://scheduler:8786", name=f"{CLUSTER_NAME}-0", **options).job_script()
    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="runner-job-") as file:
        file.write(script)
        file.flush()
        slurm(["sbatch", "--test-only", file.name], "SLURM refuses the worker job")


def check_database(url: str, partition: str | None) -> None:
    """A SQLite file only where every node the jobs may run on is this host; ConfigError otherwise."""
    if not url.startswith("sqlite"):
        return
    listed = slurm(["sinfo", "--noheader", "--Node", "--format=%N %n %o",  # its name, host name and address
                    *(["--partition", partition] if partition else [])], "cannot list SLURM's nodes")
    here = local_addresses()
    others = sorted({node for node, *where in map(str.split, listed.splitlines()) if where
                     and not any(name in here or loopback(name) for name in where)})
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise ConfigError(f"SLURM may start the workers on other nodes ({shown}), which cannot reach this SQLite file; "
                          "give --db postgresql://... (a database every node reaches)")


def connect(options: PoolOptions, url: str, devices: Sequence[str], say: Callable[[str], None]) -> Client:
    """Submit the SLURM jobs (--jobs of them, or fewer if the runs to be queued need fewer: ``devices`` has one
    per run, or is empty) and return a client of their scheduler once a first worker joined;
    ``client.cluster.close()`` cancels them. Errors are one line (ConfigError), with no job left behind."""
    jobs = options.slurm or SlurmJobs()
    if not jobs.gpus and any(device.startswith("cuda") for device in devices):
        raise OptionError(f"runs on {min(d for d in devices if d.startswith('cuda'))} need GPUs: give --gpus-per-job N")
    check_installed()
    chosen = job_options(jobs, options.per_device)
    check_job(chosen)
    check_database(url, jobs.partition)
    per_job = jobs.slots(options.per_device)
    count = min(options.jobs, math.ceil(len(devices) / per_job)) if devices else options.jobs
    cluster = new_cluster(chosen)
    try:
        from distributed import Client

        cluster.scale(jobs=count)
        client = Client(cluster, set_as_default=False)
        wait_for_a_worker(client, count, options.worker_wait, say)
    except BaseException:
        cluster.close()
        raise
    return client


def new_cluster(options: dict[str, Any]) -> Any:
    """A SLURMCluster of SlotsJob jobs, its scheduler in this process, with no job submitted yet."""
    quiet_logs()
    from dask_jobqueue import SLURMCluster

    from runner.execution.slurm_job import SlotsJob

    # (dask-jobqueue annotates job_cls as an instance of Job, and takes the class)
    return SLURMCluster(job_cls=SlotsJob, name=CLUSTER_NAME,  # type: ignore[arg-type]
                        scheduler_options={"dashboard": False, "dashboard_address": ":0"}, **options)


def wait_for_a_worker(client: Client, jobs: int, wait: float, say: Callable[[str], None]) -> None:
    say(f"waiting up to {wait:g} s for the first of {jobs} SLURM job{'s' if jobs != 1 else ''} to start its workers "
        "(squeue --me lists them)")
    address = client.scheduler.address  # gone once closed
    try:
        client.wait_for_workers(1, timeout=wait)
    except (TimeoutError, asyncio.TimeoutError):  # one class since Python 3.11
        client.close()
        raise ConfigError(f"no SLURM job started a worker within {wait:g} s (pending, or failed: see squeue --me and "
                          f"the jobs' slurm-JOBID.out; their workers join the scheduler at {address}, "
                          "which the nodes must reach); raise --worker-wait") from None


def quiet_logs() -> None:
    """Dask's own log lines (a worker lost, a job cancelled) stay out of the output: runner says what matters."""
    for name in [n for n in logging.root.manager.loggerDict if n.startswith(("distributed", "dask_jobqueue"))] + [
            "distributed", "dask_jobqueue"]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def live_jobs() -> set[str] | None:
    """The ids of this user's runner jobs that SLURM has not ended; None if squeue cannot say."""
    try:
        listed = slurm(["squeue", "--noheader", "--format=%i", f"--name={JOB_NAME}", f"--user={os.getuid()}",
                        f"--states={LIVE_STATES}"], "squeue")
    except ConfigError:
        return None
    return set(listed.split())


def job_of(worker_name: str) -> str:
    """The SLURM job a worker belongs to: runner-3-1234-0 → 1234 (runner.execution.slurm_job)."""
    return worker_name.rsplit("-", 2)[-2] if worker_name.count("-") >= 2 else ""


@dataclass
class SlurmExecutor(DaskExecutor):
    """runner.execution.executor.Executor on SLURM: DaskExecutor on a client from ``connect``, which also replaces the
    jobs SLURM ends while the sweep goes on, and leaves the sweep once no job is left to work it."""

    joined: set[str] = field(default_factory=set)  # the SLURM jobs whose workers have joined
    next_jobs_look: float = 0.0
    last_squeue: float = field(default_factory=time.monotonic)
    workerless_since: float | None = None
    jobs_alive: bool = True  # whether squeue, last asked, listed a job of this sweep (or one was just submitted)

    def poll(self) -> bool:
        going = super().poll()
        now = time.monotonic()
        if not going or self.stopping or now < self.next_jobs_look:
            return going
        self.next_jobs_look = now + LOOK_SECONDS
        present = {job_of(str(info.get("name"))) for info in workers(self.client).values()}
        self.joined |= present
        self.workerless_since = None if present else (self.workerless_since or now)
        left = (self.joined - present) & {job.job_id for job in list(self.client.cluster.workers.values())}
        if now - self.last_squeue >= (SQUEUE_SOON_SECONDS if left or not present else SQUEUE_SECONDS):
            self.last_squeue = now
            self.replace_ended_jobs()
        self.gone = self.why_no_job_is_left(now)
        return self.gone is None

    def why_no_job_is_left(self, now: float) -> str | None:
        then = f"then: runner resume {self.sweep} --executor slurm"
        if not self.client.cluster.worker_spec:
            return f"no SLURM job is left: the last ended before its workers joined (see its slurm-JOBID.out); {then}"
        if self.workerless_since is not None and now - self.workerless_since > self.options.worker_wait \
                and not self.jobs_alive:  # e.g. SLURM's controller is gone
            return (f"no SLURM job has run a worker for {self.options.worker_wait:g} s, and squeue lists none "
                    f"pending (squeue --me); {then}")
        return None

    def replace_ended_jobs(self) -> None:
        """Submit a job again for each that SLURM ended after its workers joined (not for one that ended before:
        it would again)."""
        cluster = self.client.cluster
        live = live_jobs()
        if live is None:  # SLURM cannot say
            self.jobs_alive = False
            return
        ours = {name: job.job_id for name, job in list(cluster.workers.items()) if job.job_id}
        ended = [name for name, job_id in ours.items() if job_id not in live]
        again = [name for name in ended if ours[name] in self.joined]
        if ended:
            cluster.sync(cluster.scale_down, ended)
            cluster.scale(jobs=len(cluster.worker_spec) + len(again))
        self.jobs_alive = bool(again) or len(ended) < len(ours)

    def gone_message(self) -> str:
        return (f"the Dask scheduler of the SLURM jobs (at {self.client.cluster.scheduler_address}) went away; "
                f"runner resume {self.sweep} --executor slurm")


# runner.execution.executors.ExecutorModule


def settings(given: dict[str, Any]) -> dict[str, Any]:
    """The jobs' options as one SlurmJobs (each job must start a worker)."""
    jobs = SlurmJobs(given.get("partition"), given.get("account"), given.get("walltime"),
                     given.get("gpus_per_job") or 0, given.get("cpu_slots"))
    if jobs.slots(1) < 1:
        raise OptionError("each SLURM job would start no worker: give --gpus-per-job N or --cpu-slots N")
    return {"slurm": jobs}


def check_reachable(options: PoolOptions) -> None:
    """dask-jobqueue and sbatch are here (the scheduler lives in this command; the database is checked by
    open_client, once it exists: the jobs open it)."""
    check_installed()


def open_client(options: PoolOptions, url: str, devices: Sequence[str], say: Callable[[str], None]) -> Client:
    client = connect(options, url, devices, say)  # checks the database before submitting
    try:
        check_devices(client, devices, options.worker_wait, say,
                      "give the jobs such workers (--gpus-per-job N, --cpu-slots N)")
    except BaseException:
        client.close()
        client.cluster.close()
        raise
    return client


def new_executor(store: Store, url: str, sweep: str, options: PoolOptions, client: Client, queued: list[RunRecord],
                 say: Callable[[str], None]) -> SlurmExecutor:
    jobs = len(client.cluster.worker_spec)
    say(f"sweep {sweep}: {len(queued)} runs queued, submitted to the workers of {jobs} SLURM job{'s' if jobs != 1 else ''}")
    return SlurmExecutor(client, store, url, sweep, options)


def resume_args(options: PoolOptions) -> list[str]:
    return ["--executor", "slurm", "--jobs", str(options.jobs), "--per-device", str(options.per_device),
            *(options.slurm.args() if options.slurm else [])]
