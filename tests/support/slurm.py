"""A real one-node SLURM cluster on this machine, for the tests of --executor slurm: munged, slurmctld and
slurmd (Debian's slurm-wlm and munge packages), started as root from a temporary directory.

The node, runnernode, is 127.0.0.1 with 4 CPUs and two fake GPUs: GRES on character devices
(/dev/null and /dev/zero), which SLURM allocates and announces in CUDA_VISIBLE_DEVICES as it would
real ones. No accounting daemon (slurmdbd needs a MySQL server): accounting_storage/none, which
--account then does not check. Processes are tracked by parentage (proctrack/linuxproc) and no cgroup
is used, which works in a container.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support.processes import stop

DAEMONS = ("munged", "slurmctld", "slurmd")
COMMANDS = ("sbatch", "squeue", "scancel", "sinfo", "scontrol")
NODE = "runnernode"
SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def missing() -> str | None:
    """Why a SLURM cluster cannot be started here, or None."""
    absent = [name for name in DAEMONS + COMMANDS if shutil.which(name, path=SEARCH) is None]
    if absent:
        return f"SLURM is not installed here (no {', '.join(absent)}): apt-get install slurm-wlm munge"
    if os.geteuid() != 0:
        return "starting slurmd (which runs jobs as their users) needs root"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    """Start it with ``start()``; ``stop()`` cancels every job and stops what it started."""

    def __init__(self, root: Path):
        self.root = root
        self.conf = root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self.daemons: list[subprocess.Popen] = []

    def start(self) -> None:
        key = self.root / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        socket_path = self.root / "munge.socket"
        self.daemon("munged", "--foreground", "--force", f"--key-file={key}", f"--socket={socket_path}",
                    f"--pid-file={self.root / 'munged.pid'}", f"--log-file={self.root / 'munged.log'}",
                    f"--seed-file={self.root / 'munged.seed'}")
        self.wait(socket_path.exists, "munged's socket")
        self.write_config(socket_path)
        self.daemon("slurmctld", "-D", "-c", "-i")
        self.daemon("slurmd", "-D", "-N", NODE)
        self.wait(lambda: self.node_state() == "idle", "the node to be idle")

    def write_config(self, munge_socket: Path) -> None:
        (self.root / "state").mkdir()
        (self.root / "spool").mkdir()
        host = socket.gethostname().split(".")[0]
        self.conf.write_text(f"""\
ClusterName=runnertest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={self.root / 'state'}
SlurmdSpoolDir={self.root / 'spool'}
SlurmctldPidFile={self.root / 'slurmctld.pid'}
SlurmdPidFile={self.root / 'slurmd.pid'}
SlurmctldLogFile={self.root / 'slurmctld.log'}
SlurmdLogFile={self.root / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=2
MpiDefault=none
SwitchType=switch/none
GresTypes=gpu
NodeName={NODE} NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=4 RealMemory=1000 Gres=gpu:2 State=UNKNOWN
PartitionName=test Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")
        (self.root / "gres.conf").write_text(f"NodeName={NODE} Name=gpu File=/dev/null\n"
                                             f"NodeName={NODE} Name=gpu File=/dev/zero\n")

    def daemon(self, name: str, *args: str) -> None:
        log = open(self.root / f"{name}.out", "wb")
        self.daemons.append(subprocess.Popen([shutil.which(name, path=SEARCH) or name, *args], env=self.env,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        log.close()

    def wait(self, predicate, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            dead = [p.args[0] for p in self.daemons if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"SLURM did not start ({'exited: ' + ', '.join(dead) if dead else 'waiting for ' + what}):"
                                   f"\n{self.logs()}")
            time.sleep(0.2)

    def logs(self) -> str:
        tails = []
        for path in sorted(self.root.glob("*.log")) + sorted(self.root.glob("*.out")):
            tails.append(f"== {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(tails)

    def run(self, *argv: str) -> str:
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=30).stdout

    def node_state(self) -> str:
        return self.run("sinfo", "--noheader", "--Node", "--format=%t").strip()

    def jobs(self) -> dict[str, str]:
        """The jobs SLURM has not ended: id → state (PD, R, CG, ...)."""
        listed = self.run("squeue", "--noheader", "--format=%i %t")
        return dict(line.split() for line in listed.splitlines() if line.strip())

    def job_of(self, pid: int) -> str:
        """The job that holds process ``pid`` (scontrol pidinfo asks its slurmd)."""
        found = re.search(r"JobId=(\d+)", self.run("scontrol", "pidinfo", str(pid)))
        assert found, f"process {pid} is in no SLURM job"
        return found.group(1)

    def gpus_of(self, job_id: str) -> list[str]:
        """The GPUs (GRES indices) SLURM gave a job."""
        return re.findall(r"GRES=gpu(?::\w+)?:\d+\(IDX:([\d,-]+)\)", self.run("scontrol", "show", "job", "--details", job_id))

    def stop(self) -> None:
        if self.jobs():
            self.run("scancel", f"--user={os.getuid()}")
            deadline = time.monotonic() + 30
            while self.jobs() and time.monotonic() < deadline:
                time.sleep(0.2)
        for process in reversed(self.daemons):  # slurmd, slurmctld, munged
            stop(process, timeout=15)
