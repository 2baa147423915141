"""Benchmark: a sweep of 2D demo cases in the local worker pool against MPI groups.

Writes a sweep of the demo cell (configs/demo.yaml, no field output) at 2 temperatures ×
N/2 current densities and runs it twice into fresh folders, timing the whole command:
1. baseline — MPI groups: ``mpirun -n J lisse sweep FILE`` (each rank runs its cases in
   its own process, one after the other: one start-up per rank);
2. local pool: ``lisse sweep FILE --jobs J``.
Prints both wall times, the ratio pool / MPI groups, and the CPU time of each whole
process tree (on a machine shared with other work the wall times are noisy; the CPU
times much less so). This script only launches
commands: under ``mpirun`` rank 0 does the work while the other ranks wait (and spin:
run it serially for the recorded figures).

    .venv/bin/python scripts/bench_sweep.py                # 8 cases, 2 workers
    .venv/bin/python scripts/bench_sweep.py --cases 4      # small, for a quick look
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def sweep_file(folder: Path, cases: int) -> Path:
    """A sweep of ``cases`` demo cases (2 temperatures × cases/2 current densities)."""
    currents = [round(0.1 * (k + 1), 3) for k in range(max(1, cases // 2))]
    spec = {
        "base": str(ROOT / "configs/demo.yaml"),
        "name": "bench-sweep",
        "set": {"output.fields": False, "output.plots": False},
        "grid": {"temperature_C": [25, 60], "protocol.current_density_mA_cm2": currents},
    }
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the whole process tree) of a command [s]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8, help="number of cases (even)")
    parser.add_argument("--jobs", type=int, default=2, help="workers / MPI ranks")
    args = parser.parse_args()
    from mpi4py import MPI  # every rank initialises MPI (a launcher waits for all of them)

    if MPI.COMM_WORLD.rank:  # under mpirun: rank 0 launches everything
        MPI.COMM_WORLD.barrier()
        return
    from lisse.solver.studies.sweep_pool import worker_env

    env = worker_env()  # the commands below start their own MPI jobs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sweep = sweep_file(folder, args.cases)
        lisse = str(BIN / "lisse")
        # the meshes of the sweep are built once before the timings (both runs reuse them)
        timed([lisse, "sweep", str(sweep), "-o", str(folder / "warm"), "--jobs", "1"], env)
        groups = timed([str(BIN / "mpirun"), "-n", str(args.jobs), lisse, "sweep", str(sweep),
                        "-o", str(folder / "groups")], env)
        pool = timed([lisse, "sweep", str(sweep), "-o", str(folder / "pool"),
                      "--jobs", str(args.jobs)], env)
    n = 2 * max(1, args.cases // 2)
    print(f"cases                    {n} (2D demo cell), {args.jobs} workers / ranks")
    print(f"MPI groups (baseline)    {groups[0]:.2f} s wall, {groups[1]:.2f} s CPU")
    print(f"local pool               {pool[0]:.2f} s wall, {pool[1]:.2f} s CPU")
    print(f"CPU ratio pool / groups  {pool[1] / groups[1]:.2f}")
    print(f"time ratio pool / groups {pool[0] / groups[0]:.2f}", flush=True)
    MPI.COMM_WORLD.barrier()


if __name__ == "__main__":
    main()
