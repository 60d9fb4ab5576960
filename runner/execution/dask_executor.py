"""Working a sweep's queue on Dask: each queued run is one task keyed by its id, on any number of hosts.

Imported only for ``--executor dask`` (and it alone imports ``distributed``). The workers are
``runner worker`` slots (runner.cli.worker): one Dask worker process per device slot, with Dask
resources ``{"GPU": 1, "cuda:i": 1}`` or ``{"CPU": 1}``. A task claims its run in the database
(runner.execution.local_worker.train_by_id), so the database stays the single truth: a task Dask runs twice (it
can, when a worker dies) trains its run once, and a dead worker's run is retried, counted in
``runs.attempts``, while it has retries left.

Database connections: each worker process holds at most two (its run's writes, and the heartbeat
and stop-flag threads), and the submitting process one: with PostgreSQL's default of 100
connections, put PgBouncer in front past about 45 slots in all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.errors import ConfigError, OptionError, SchedulerUnreachable, StorageError
from runner.processes import host_name
from runner.status import FAILURES, RunStatus

if TYPE_CHECKING:
    from distributed import Client, Future

    from runner.execution.executor import PoolOptions, SweepResult
    from runner.execution.slots import Slot
    from runner.store import RunRecord, Store

LOOK_SECONDS = 2.0  # how often the submitter looks for dead runs (Store.mark_lost) and retries them
SCHEDULER_GONE_SECONDS = 5.0
CONNECT_SECONDS = 5.0
START_SECONDS = 30.0  # runner worker: how long to wait for the scheduler to answer (Dask's own connect timeout)
INSTALL = 'pip install -e ".[dask]"'


def check_installed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ConfigError(f"--executor dask needs Dask's distributed package: {INSTALL}") from None


def slot_command(address: str, slot: Slot, index: int) -> list[str]:
    """``dask worker`` (a nanny and its worker process) for one slot: one thread, the slot's resources."""
    from runner.execution.slots import slot_name

    resources = {"CPU": 1} if slot.device == "cpu" else {"GPU": 1, slot.device: 1}
    return [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1",
            "--resources", ",".join(f"{k}={v}" for k, v in resources.items()),
            "--name", slot_name(index, slot), "--no-dashboard"]


def slot_environment(slot: Slot) -> dict[str, str]:
    """The slot's environment: its device (runner.execution.local_worker.SLOT_VARIABLE), BLAS threads or its one GPU."""
    from runner.execution.local_worker import SLOT_VARIABLE
    from runner.execution.slots import slot_environment as local

    return dict(local(slot), **{SLOT_VARIABLE: slot.device})


def check_address(address: str) -> str:
    """``address`` as a Dask scheduler address, SCHEME://HOST:PORT (tcp:// added where there is no scheme, as Dask
    does); OptionError (exit 2) in one line for anything else, before anything is started or stored."""
    check_installed()
    from distributed.comm.addressing import parse_address, parse_host_port, unparse_host_port
    from distributed.comm.registry import backends

    scheme, location = parse_address(address.strip())
    try:
        if not location:
            raise ValueError("it is empty")
        if scheme not in backends or scheme == "inproc":
            raise ValueError(f"unknown scheme {scheme}://")
        if location.startswith("[") and "]" not in location:
            raise ValueError("no ] after the IPv6 host")
        tail = location.partition("]")[2] if location.startswith("[") else location  # what follows the host
        if not tail.rpartition(":")[2].strip().isdigit():
            raise ValueError("no port number" if ":" not in tail else "its port is not a number")
        host, port = parse_host_port(location)
        if not host:
            raise ValueError("no host")
        if not 0 < port < 65536:
            raise ValueError(f"port {port} is not in 1-65535")
    except ValueError as exc:
        raise OptionError(f"{address!r} is not a Dask scheduler address ({one_line(exc)}); give it as "
                          "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786") from None
    return f"{scheme}://{unparse_host_port(host, port)}"


def start_hint(address: str) -> str:
    """How to start a scheduler at ``address`` (well formed: check_address), for one-line errors."""
    from distributed.comm.addressing import get_address_host_port

    host, port = get_address_host_port(address)
    return f"`dask scheduler --port {port}` on {host}"


def quiet_logs() -> None:
    """Silence distributed's loggers in this process: their tracebacks on a lost scheduler we say in one line."""
    import logging

    for name in [n for n in logging.root.manager.loggerDict if n.startswith("distributed")] + ["distributed"]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def new_client(address: str, timeout: float) -> Client:
    """A ``distributed.Client`` of ``address`` that, when it cannot connect, is closed at once: left to its
    ``__del__``, a failed client prints a traceback at exit after a 10 s wait."""
    from distributed import Client

    class ClosingClient(Client):
        def start(self, **kwargs: Any) -> None:
            try:
                super().start(**kwargs)
            except BaseException:
                self.close(timeout=1)
                raise

    return ClosingClient(address, timeout=timeout, set_as_default=False)


def connect(address: str, wait_seconds: float, say: Callable[[str], None]) -> Client:
    """A client of the scheduler at ``address`` (checked by check_address) that has at least one worker
    (waiting up to ``wait_seconds``, saying so); ConfigError (exit 2) in one line otherwise."""
    check_installed()
    quiet_logs()
    try:
        client = new_client(address, CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnreachable(f"no Dask scheduler answered at {address} ({one_line(exc)}); start one with "
                                   f"{start_hint(address)}, or give another with --address") from None
    if not client.scheduler_info().get("workers"):
        say(f"waiting up to {wait_seconds:g} s for Dask workers at {address} (start them with: runner worker {address})")
        try:
            client.wait_for_workers(1, timeout=wait_seconds)
        except (TimeoutError, asyncio.TimeoutError):  # one class since Python 3.11
            client.close()
            raise ConfigError(f"no Dask worker joined {address} within {wait_seconds:g} s; start some with "
                              f"`runner worker {address}` on each host, or raise --worker-wait") from None
        except OSError as exc:
            client.close()
            raise SchedulerUnreachable(f"lost the Dask scheduler at {address} while waiting for workers "
                                       f"({one_line(exc)}); start it again ({start_hint(address)}), then its "
                                       "workers") from None
    return client


def scheduler_identity(address: str, wait_seconds: float, hint: str = "") -> dict[str, Any]:
    """What the scheduler at ``address`` says of itself and its workers (their names among it), waiting up to
    ``wait_seconds`` for it to answer (it may be starting); SchedulerUnreachable in one line otherwise, ending with
    ``hint``."""
    check_installed()
    from distributed.core import rpc

    quiet_logs()

    async def ask() -> dict[str, Any]:
        async with rpc(address, timeout=wait_seconds) as scheduler:
            return await scheduler.identity(n_workers=-1)

    try:
        return asyncio.run(asyncio.wait_for(ask(), wait_seconds + CONNECT_SECONDS))
    except (OSError, TimeoutError, asyncio.TimeoutError, ValueError) as exc:
        if isinstance(exc, TimeoutError) or one_line(exc).startswith("Timed out"):
            why = f"within {wait_seconds:g} s"
        else:  # e.g. another server at that port, which closes the connection
            why = ("(the connection was closed at once: another kind of server may listen there)"
                   if "comm was established" in str(exc) else f"({one_line(exc)})")
        raise SchedulerUnreachable(f"no Dask scheduler answered at {address} {why}; "
                                   f"start one with {start_hint(address)}{hint}") from None


def one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def workers(client: Client) -> dict[str, dict[str, Any]]:
    return client.scheduler_info(n_workers=-1)["workers"] if _takes_n_workers() else client.scheduler_info()["workers"]


def _takes_n_workers() -> bool:
    import inspect

    from distributed import Client

    return "n_workers" in inspect.signature(Client.scheduler_info).parameters


def check_database(client: Client, url: str, address: str) -> None:
    """A SQLite file is only for workers on this host; ConfigError otherwise."""
    if not url.startswith("sqlite"):
        return
    hosts = {host_of(a) for a in workers(client)} - local_addresses()
    remote = sorted(h for h in hosts if not loopback(h))
    if remote:
        raise ConfigError(f"the Dask workers at {address} include other hosts ({', '.join(remote)}), which cannot "
                          "reach this SQLite file; give --db postgresql://... (a database every host reaches)")


def host_of(worker_address: str) -> str:
    return worker_address.rpartition("://")[2].rpartition(":")[0].strip("[]")


def local_addresses() -> set[str]:
    """This host's names and addresses, loopback included."""
    found = {"localhost", socket.gethostname(), "127.0.0.1", "::1"}
    for name in ("localhost", socket.gethostname()):
        try:
            found |= {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
        except OSError:
            pass
    return found


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resources_for(device: str, gpu_cluster: bool) -> dict[str, float]:
    """The Dask resources a run that asked for ``device`` needs: ``cuda:N`` that GPU, ``cuda`` any GPU,
    ``cpu`` a CPU slot, ``auto`` any GPU (a CPU slot where the cluster has no GPU)."""
    if device.startswith("cuda:"):
        return {device: 1}
    if device == "cuda" or (device == "auto" and gpu_cluster):
        return {"GPU": 1}
    return {"CPU": 1}


def check_devices(client: Client, devices: Iterable[str], wait_seconds: float = 0.0,
                  say: Callable[[str], None] | None = None, hint: str | None = None) -> bool:
    """Whether the cluster has GPU slots; OptionError for a run no slot takes, once ``wait_seconds`` have passed
    without such a slot joining (workers of a cluster that is starting join one by one), ending with ``hint``
    (by default: start one with `runner worker ADDRESS`, the scheduler's)."""
    deadline, said = time.monotonic() + wait_seconds, False
    while True:
        offered = offered_resources(client)
        gpu_cluster = "GPU" in offered
        missing = {device: needed for device in set(devices) for needed in resources_for(device, gpu_cluster)
                   if needed not in offered}
        if not missing or time.monotonic() >= deadline:
            break
        if say and not said:
            said = True
            say(f"waiting up to {wait_seconds:g} s for a Dask worker that offers {', '.join(sorted(set(missing.values())))}")
        time.sleep(0.5)
    if missing:
        device, needed = min(missing.items())
        raise OptionError(f"no Dask worker offers {needed} for runs on {device} (workers offer: "
                          f"{', '.join(sorted(offered)) or 'nothing'}); "
                          + (hint or f"start one with `runner worker {client.scheduler.address}` on a host that has it"))
    return gpu_cluster


def offered_resources(client: Client) -> set[str]:
    offered: set[str] = set()
    for info in workers(client).values():
        offered |= {name for name, amount in (info.get("resources") or {}).items() if amount}
    return offered


@dataclass
class DaskExecutor:
    """runner.execution.executor.Executor on a Dask cluster; ``client`` from ``connect``."""

    client: Client
    store: Store
    db_url: str  # the workers' database, password included (it travels to the workers in the task)
    sweep: str
    options: PoolOptions
    on_tick: Callable[[dict[RunStatus, int], list[RunRecord]], None] | None = None
    detach: bool = False
    interrupted: bool = False
    stopping: bool = False
    futures: dict[int, Future] = field(default_factory=dict)
    # A retried run's earlier task, held on to: released, Dask would count the slot of a silent (not dead)
    # worker as free, and send the retry to that very worker.
    superseded: list[Future] = field(default_factory=list)
    gpu_cluster: bool = False
    unmarked: str | None = None
    next_look: float = 0.0  # when to look for dead runs next (time.monotonic)
    unreachable_since: float | None = None
    gone: str | None = None  # why the sweep was left (its scheduler went away)

    @property
    def retries(self) -> int:
        from runner.execution.executors import EXECUTORS

        return EXECUTORS[self.options.executor].default_retries if self.options.retries is None else self.options.retries

    def start(self) -> None:  # a stop recorded for the sweep stands: only `runner resume` clears it
        queued = self.store.list_runs(sweep=self.sweep, status=RunStatus.QUEUED)
        self.gpu_cluster = check_devices(self.client, [r.device for r in queued])
        self.submit(reversed(queued))  # list_runs is newest first: the oldest go first
        if self.detach:
            from distributed import fire_and_forget

            fire_and_forget(list(self.futures.values()))  # the sweep goes on once this client is gone

    def submit(self, records: Iterable[RunRecord]) -> None:
        from runner.execution.local_worker import train_by_id

        args = self.options.execution.to_args()
        for r in records:
            placement: dict[str, Any] = {}
            if r.id in self.futures:  # a retry
                self.superseded.append(self.futures[r.id])
                placement = self.elsewhere(r)
            # keyed by run and attempt: the same run submitted twice (a second `runner resume`) is one task
            self.futures[r.id] = self.client.submit(
                train_by_id, self.db_url, r.id, self.sweep, self.retries, args,
                key=f"runner-run-{r.id}-{r.attempts}", resources=resources_for(r.device, self.gpu_cluster), pure=False,
                **placement)

    def elsewhere(self, record: RunRecord) -> dict[str, Any]:
        """Where a retry may go: any worker that offers its resources but the slot that lost it, when there is one.

        Dask places a task by the resources a worker has, not by those in use, so it could queue the retry
        behind the lost attempt on a worker that is silent but alive (SIGSTOPped, cut off) and never take
        it back. Loose: should every other worker leave, any may take it."""
        needed = resources_for(record.device, self.gpu_cluster)
        others = [address for address, info in workers(self.client).items() if info.get("name") != record.slot
                  and all((info.get("resources") or {}).get(name, 0) >= amount for name, amount in needed.items())]
        return {"workers": others, "allow_other_workers": True} if others else {}

    def poll(self) -> bool:
        if self.detach:
            return False
        if self.scheduler_gone():
            return False
        try:
            if time.monotonic() >= self.next_look:  # a run on a host that died goes once its heartbeat is stale
                self.next_look = time.monotonic() + LOOK_SECONDS
                self.store.mark_lost()
            if not self.stopping:
                requeued = self.store.retry_lost(self.sweep, self.retries)
                self.submit(self.store.get_run(run_id) for run_id in requeued)
            counts = self.store.sweep_counts(self.sweep)
        except StorageError as exc:
            self.unmarked = str(exc)
            return True
        if self.options.fail_fast and any(counts.get(s) for s in FAILURES) and not self.stopping:
            self.stop()
        if self.on_tick:
            self.on_tick(counts, self.store.list_runs(sweep=self.sweep, status=RunStatus.RUNNING))
        active = counts.get(RunStatus.RUNNING, 0) or (counts.get(RunStatus.QUEUED, 0) and not self.stopping)
        if active and not self.stopping and all(f.done() for f in self.futures.values()) and not counts.get(
                RunStatus.RUNNING):
            if self.client.status != "running":  # its tasks went with it
                self.gone = self.gone_message()
            return False  # every task ended yet runs are queued (the sweep was stopped, or its scheduler is gone)
        return bool(active)

    def scheduler_gone(self) -> bool:
        """Whether the scheduler has been unreachable for SCHEDULER_GONE_SECONDS (its tasks are gone with it;
        the runs it was training go on, and ``runner resume`` on a new scheduler submits the rest)."""
        if self.client.status == "running":
            self.unreachable_since = None
            return False
        now = time.monotonic()
        self.unreachable_since = self.unreachable_since or now
        if self.client.status in ("closing", "closed") or now - self.unreachable_since > SCHEDULER_GONE_SECONDS:
            self.gone = self.gone_message()
            return True
        return False

    def gone_message(self) -> str:
        address = self.options.address or ""
        return (f"the Dask scheduler at {address} went away; start it again ({start_hint(address)}) and its "
                f"workers (`runner worker {address}` on each host), then: runner resume {self.sweep}  (with "
                "--address tcp://HOST:PORT for a scheduler elsewhere)")

    def stop(self) -> None:
        """The stop flag in the database reaches every host; tasks not started yet are cancelled."""
        self.stopping = True
        self.store.stop_sweep(self.sweep, f"pid {os.getpid()} on {host_name()}")
        self.client.cancel([f for f in self.futures.values() if not f.done()])

    def result(self) -> SweepResult:
        from runner.execution.executor import SweepResult

        counts = self.store.sweep_counts(self.sweep)
        self.client.close()  # a detached sweep's tasks stay with the scheduler (fire_and_forget)
        return SweepResult(counts, self.interrupted, 0, self.unmarked, self.gone)



# runner.execution.executors.ExecutorModule


def settings(given: dict[str, Any]) -> dict[str, Any]:
    """--address (required, checked as the command line is read: malformed, a usage error before anything is
    opened, stored or connected to) and --detach."""
    address = (given.get("address") or "").strip()
    if not address:
        raise OptionError("--executor dask needs --address tcp://HOST:PORT (the Dask scheduler's)")
    try:
        address = check_address(address)
    except OptionError as exc:
        raise OptionError(f"--address {exc}") from None
    return {"address": address, "detach": bool(given.get("detach"))}


def check_reachable(options: PoolOptions) -> None:
    """That a scheduler answers at --address (one line, exit 2, after at most CONNECT_SECONDS)."""
    if options.address is not None:
        scheduler_identity(options.address, CONNECT_SECONDS, ", or give another with --address")


def open_client(options: PoolOptions, url: str, devices: Sequence[str], say: Callable[[str], None]) -> Client:
    assert options.address is not None  # settings saw to it
    client = connect(options.address, options.worker_wait, say)
    try:
        check_database(client, url, options.address)
        check_devices(client, devices, options.worker_wait, say)  # every run about to be queued has a slot that takes it
    except BaseException:
        client.close()
        raise
    return client


def new_executor(store: Store, url: str, sweep: str, options: PoolOptions, client: Client, queued: list[RunRecord],
                 say: Callable[[str], None]) -> DaskExecutor:
    say(f"sweep {sweep}: {len(queued)} runs queued, submitted to the Dask scheduler at {options.address}")
    return DaskExecutor(client, store, url, sweep, options, detach=options.detach)


def resume_args(options: PoolOptions) -> list[str]:
    return ["--executor", "dask", "--address", options.address or "tcp://HOST:PORT"]
