"""Starting the persistent workers of the local sweep pool (``solver.studies.sweep_worker``).

Imports nothing heavy: ``lisse sweep`` calls ``prestart`` before it imports the sweep
machinery, so that the workers' imports overlap the validation of the sweep. ``Workers``:
the pool's set of workers (``solver.studies.sweep.run_pool``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the sweep machinery is imported after prestart
    from lisse.solver.studies.sweep_file import Sweep, SweepCase

COMMAND = [sys.executable, "-m", "lisse.solver.studies.sweep_worker"]


def cores() -> int:
    """The cores this process may run on (the default number of jobs)."""
    return len(os.sched_getaffinity(0))


def worker_env() -> dict:
    """The environment without the MPI launcher's variables (each worker is a singleton)."""
    launcher = ("PMI_", "PMIX_", "HYDRA_", "MPIR_", "OMPI_", "MPICH_INTERFACE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(launcher)}
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def spawn() -> subprocess.Popen:
    """A new worker, in its own session like an MPI rank started by ``mpirun`` (with the
    kernel's per-session CPU sharing, "autogroup", a pool whose workers share the session
    of the parent gets one share of a loaded machine where MPI ranks get one each). Its
    start-up errors go to a temporary file (``startup_log``), which the pool copies into
    the log of the case it was running if it dies."""
    err = tempfile.TemporaryFile()
    env = {**worker_env(), "LISSE_POOL_PID": str(os.getpid())}
    proc = subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=err, env=env, text=True, start_new_session=True)
    proc.startup_log = err
    return proc


def prestart(args, comm) -> list[subprocess.Popen]:
    """The workers of a local pool (``--jobs`` or the cores), started before the sweep is
    validated when the ``lisse sweep`` command ``args`` will run one; else none."""
    jobs = cores() if args.jobs is None else args.jobs
    pool = comm.size == 1 and jobs > 1 and args.case_index is None and not (
        args.count or args.list or args.collect or args.ranks_per_case != 1)
    return [spawn() for _ in range(jobs)] if pool else []


class Workers:
    """The worker processes of a local pool (``solver.studies.sweep_worker``: each imports
    once, then runs the cases it is sent): ``prestarted`` ones (started by the command line
    before the sweep was validated, so that their imports overlap it) are taken first;
    each pool thread then keeps its worker (a new one if there is none or its worker died).
    ``interrupt`` stops them all (SIGINT) and starts no new one; ``close`` ends them."""

    def __init__(self, prestarted: list[subprocess.Popen] = ()):
        self.lock = threading.Lock()
        self.idle = list(prestarted)
        self.running: set[subprocess.Popen] = set(self.idle)
        self.stopping = False
        self.mine = threading.local()  # the worker of the calling pool thread

    def run(self, sweep: Sweep, case: SweepCase, retry_failed: bool, log: Path) -> int | None:
        """Run ``case`` in this thread's worker, its output appended to ``log``; returns the
        exit code the case's command had (the worker's, if it ended), or None if the pool
        is stopping."""
        proc = getattr(self.mine, "proc", None)
        if proc is None:
            with self.lock:
                if self.stopping:
                    return None
                proc = self.idle.pop() if self.idle else spawn()
                self.running.add(proc)
            self.mine.proc = proc
        fields = (sweep.source, sweep.output, int(retry_failed), case.index, log)
        try:
            proc.stdin.write("\t".join(map(str, fields)) + "\n")
            proc.stdin.flush()
            reply = proc.stdout.readline()
        except OSError:  # the worker died (BrokenPipeError)
            reply = ""
        if reply.strip():
            return int(reply)
        code = proc.wait()  # the worker ended with the case (crash or interruption)
        proc.startup_log.seek(0)
        with open(log, "ab") as out:
            out.write(proc.startup_log.read())
        with self.lock:
            self.running.discard(proc)
        self.mine.proc = None
        return code

    def interrupt(self) -> None:
        with self.lock:
            self.stopping = True
            for proc in self.running:  # a Ctrl-C reached them too; a kill of the pool alone not
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)

    def close(self) -> None:
        """End the workers (end of their input) and wait for them."""
        with self.lock:
            procs = list(self.running)
            self.running.clear()
            self.idle.clear()
        for proc in procs:
            try:
                proc.stdin.close()
            except OSError:
                pass
            proc.wait()
            proc.startup_log.close()
