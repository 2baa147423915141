"""A persistent worker of the local sweep pool (``solver.studies.sweep.run_pool``).

The pool starts one such process per concurrent job, as soon as the command is known to
run a local pool (while the parent still validates the sweep). The worker imports lisse,
DOLFINx, PETSc and the run kinds' modules at once, then runs the cases it is sent, one
after the other, each exactly as the job-array command ``lisse sweep FILE -o OUT
--case-index I --quiet [--retry-failed]`` would (the same code path,
``solver.studies.sweep.run_index``). Start-up, imports, loading the compiled forms and
validating the sweep file are paid once per worker instead of once per case.

Protocol: one line per case on stdin, ``FILE<TAB>OUT<TAB>RETRY<TAB>I<TAB>LOG`` (sweep file,
sweep folder, 1 to retry failed cases, case index, log file path); the worker writes the
case's output (fds 1 and 2) to LOG and answers with one line on its original stdout, the
exit code the command would have had. End of input: the worker exits with 0 (skipping the
interpreter's teardown). A case stopped by a signal (exit 3: interrupted with a
checkpoint, 130: Ctrl-C) ends the worker with that code, as the one-process-per-case
command did; a crash (segfault, out-of-memory kill) ends it too, and the pool records the
case as failed and starts a fresh worker for the next one.

    python -m lisse.solver.studies.sweep_worker

The pool starts workers through ``solver.studies.sweep_pool`` (light imports: the command
line starts them before it imports the sweep machinery).
"""

from __future__ import annotations

import faulthandler
import gc
import os
import signal
import sys
from pathlib import Path

STOP_CODES = (3, 130)  # the case was interrupted: the worker stops too
PR_SET_PDEATHSIG = 1  # prctl(2)
CLI = str(Path(__file__).resolve().parents[1] / "cli.py")  # recorded as the command


def _die_with_the_pool() -> None:
    """Outside the pool's process group, a kill of that group does not reach the worker:
    the kernel sends it SIGTERM when the pool's thread that started it ends (Linux
    PR_SET_PDEATHSIG; an evolution case then writes its checkpoint), and a worker whose
    pool is already gone exits at once."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the end of input still stops the worker
        pass
    if str(os.getppid()) != os.environ.get("LISSE_POOL_PID", str(os.getppid())):
        os._exit(1)


def main() -> int:
    _die_with_the_pool()
    from mpi4py import MPI

    import lisse.solver.studies.dispatch  # noqa: F401  (the imports of a case, made now:
    import lisse.solver.studies.steady  # noqa: F401   DOLFINx, PETSc, matplotlib)
    from lisse.solver.errors import LisseError
    from lisse.solver.studies.sweep import run_index
    from lisse.solver.studies.sweep_file import load_sweep

    reply = os.fdopen(os.dup(1), "w")
    faulthandler.enable()  # a crash prints its traceback into the case log (fd 2)
    sweeps = {}  # (file, folder) -> the validated sweep: once per worker, not per case
    for line in sys.stdin:
        source, output, retry, index, log = line.rstrip("\n").split("\t")
        sys.stdout.flush()
        sys.stderr.flush()
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        args = ["sweep", source, "-o", output, "--case-index", index, "--quiet"]
        args += ["--retry-failed"] if retry == "1" else []
        sys.argv = [CLI, *args]  # the command recorded in run.json, as before
        code = 0
        try:
            if (source, output) not in sweeps:
                sweeps[source, output] = load_sweep(source, output)
            run_index(sweeps[source, output], index, MPI.COMM_WORLD, retry == "1", quiet=True)
        except LisseError as exc:  # as solver.cli.main: one line, the error's exit code
            print(f"lisse: error: {exc}", file=sys.stderr, flush=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            code = 130
        sys.stdout.flush()
        sys.stderr.flush()
        if code in STOP_CODES:
            return code
        gc.collect()  # PETSc objects of the finished case
        reply.write(f"{code}\n")
        reply.flush()
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C while waiting for the next case
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # every case folder is committed: skip the interpreter's and MPI/PETSc's slow teardown
    # (about 0.7 s per worker), which the pool would otherwise wait for at its end
    os._exit(code)
