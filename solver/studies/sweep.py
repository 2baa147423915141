"""Running a sweep (docs/sweeps.md): validate every case first (``sweep_file``), then run
the cases that have no result — in MPI groups of ranks, in a local pool of worker
processes, or one case per job-array task — each through the one dispatcher into its own
folder (written atomically, so killing a sweep loses at most the cases in flight); the table
(``lisse.solver.io.sweep_table``) is a view of the case folders. Ctrl-C (SIGINT) in a local
pool stops the workers (an evolution case writes a checkpoint into its staging folder
``cases/.<id>.partial``, ``solver.io.checkpoint``) and records no failure for them: they stay
pending, and running the sweep again picks them up (an evolution case from its checkpoint).
Under mpirun (MPI groups) SIGTERM or SIGINT does the same for the evolution cases in flight
(each group stops at the end of its time step, writes its checkpoint, exit code 3); a group
running a steady case or waiting for the others is killed by the signal before it records
anything, so its case stays pending too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import yaml

from lisse.solver.config.schema import resolved_dict
from lisse.solver.errors import LisseError, UserError
from lisse.solver.io.sweep_table import (
    case_state,
    counts,
    table_row,
    write_manifest,
    write_table,
)
from lisse.solver.studies.sweep_file import Sweep, SweepCase, _describe, load_sweep
from lisse.solver.studies.sweep_pool import Workers as _Workers
from lisse.solver.studies.sweep_pool import cores as _cores


def to_run(sweep: Sweep, retry_failed: bool = False) -> list[SweepCase]:
    """Cases without a result: pending ones, and failed ones if ``retry_failed``."""
    wanted = ("pending", "failed") if retry_failed else ("pending",)
    return [c for c in sweep.cases if case_state(sweep.case_dir(c))[0] in wanted]


def run_one(sweep: Sweep, case: SweepCase, comm, argv: list[str] | None = None) -> dict:
    """Run one case on ``comm`` into its folder (through the dispatcher, as ``lisse run``);
    a failure is recorded, never raised.

    Returns the summary (status done) or the failure record (status failed). Errors must be
    raised on every rank of ``comm`` (as the solver's are) or the group deadlocks. An
    evolution case with a checkpoint in its staging folder goes on from it; an interrupted
    one (``Interrupted``, SIGTERM or SIGINT) is raised, not recorded: it stays pending.
    """
    from lisse.solver.config.schema import resolve
    from lisse.solver.io.checkpoint import Interrupted, location
    from lisse.solver.io.runfolder import RunFolder
    from lisse.solver.studies.coupled_checkpoint import resumable
    from lisse.solver.studies.dispatch import run_case, run_kind

    folder = sweep.case_dir(case)
    config = resolved_dict(case.case)
    start = time.perf_counter()
    try:
        params = resolve(case.case)
        resume = None
        # an interrupted case goes on from its checkpoint (a coupled one only on the number
        # of ranks that wrote it, else it starts over: resumable)
        if run_kind(params) == "evolution":
            found = comm.bcast(location(folder) if comm.rank == 0 else None, root=0)
            resume = folder if found is not None and resumable(params, found, comm) else None
        summary = run_case(params, folder, comm, config, argv, resume=resume)
        return {"status": "done", **summary}
    except Interrupted:  # resumable, not a failure: the case stays pending
        raise
    except Exception as exc:  # the case fails, the sweep goes on
        record = {
            "status": "failed",
            "reason": f"{type(exc).__name__}: {exc}",
            "exit_code": exc.exit_code if isinstance(exc, LisseError) else 1,
            "wall_time_s": time.perf_counter() - start,
        }
    failure = RunFolder(folder, comm)
    failure.write_text("config_resolved.yaml", yaml.safe_dump(config, sort_keys=False))
    failure.write_json("failure.json", record)
    failure.commit()
    return record


def run_groups(
    sweep: Sweep, world, ranks_per_case: int = 1, retry_failed: bool = False, stream=None
) -> None:
    """Split ``world`` into groups of ``ranks_per_case`` ranks; group g runs the cases
    g, g + G, g + 2G, ... of the cases to run (G groups), each on its sub-communicator."""
    from lisse.solver.io.progress import Progress

    if ranks_per_case < 1 or world.size % ranks_per_case:
        raise UserError(
            f"--ranks-per-case {ranks_per_case}: must divide the number of MPI ranks ({world.size})"
        )
    todo = world.bcast(to_run(sweep, retry_failed) if world.rank == 0 else None, root=0)
    if world.rank == 0:
        write_manifest(sweep)
        write_table(sweep)
    groups = world.size // ranks_per_case
    color = world.rank // ranks_per_case
    group = world.Split(color, world.rank)
    mine = todo[color::groups]
    label = f"{sweep.name} [group {color}/{groups}]" if groups > 1 else sweep.name
    progress = Progress(label, total=len(mine), comm=group, stream=stream)
    try:
        for case in mine:
            progress.status(case=f"{case.index} {case.case_id}")
            record = run_one(sweep, case, group, sys.argv)
            progress.advance(message=case_line(case, record))
    finally:
        progress.close()
        group.Free()
    world.Barrier()
    if world.rank == 0:
        write_table(sweep)


class SweepInterrupted(LisseError):
    """A sweep stopped by Ctrl-C (SIGINT) in a local pool, or by SIGTERM or SIGINT in MPI
    groups: the cases in flight stay pending (resumable); exit code 3, as an interrupted
    run."""

    exit_code = 3


# exit codes of a worker stopped by a signal (not a failure of its case): interrupted with
# a checkpoint (3), KeyboardInterrupt (130), killed by SIGINT or SIGTERM (negative, 143)
INTERRUPTED_EXIT = (3, 130, 143, -signal.SIGINT, -signal.SIGTERM)
TABLE_EVERY_S = 10.0  # the local pool rewrites the sweep table at most this often [s]


def run_pool(sweep: Sweep, jobs: int, retry_failed: bool = False, stream=None,
             workers: _Workers | None = None) -> None:
    """Run the cases in ``jobs`` concurrent persistent worker processes
    (``solver.studies.sweep_worker``), each running ``lisse sweep FILE --case-index I``
    (job-array mode) on one rank for the cases it is sent; the table is rewritten at most
    every ``TABLE_EVERY_S`` seconds and at the end (the case folders are the record).
    Ctrl-C (SIGINT) stops the workers and raises SweepInterrupted: the cases in flight stay
    pending, with a checkpoint if they are evolution runs."""
    from lisse.solver.io.progress import Progress

    todo = to_run(sweep, retry_failed)
    write_manifest(sweep)
    rows = {c.index: table_row(sweep, c) for c in sweep.cases}
    write_table(sweep, list(rows.values()))
    progress = Progress(sweep.name, total=len(todo), stream=stream)
    workers = workers or _Workers()
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(todo))))
    futures = {pool.submit(_worker, sweep, case, retry_failed, workers): case
               for case in todo}
    try:
        written = time.monotonic()
        for future in as_completed(futures):
            case = futures[future]
            record = future.result()
            rows[case.index] = table_row(sweep, case)
            if time.monotonic() - written >= TABLE_EVERY_S:  # each write costs O(cases)
                write_table(sweep, list(rows.values()))
                written = time.monotonic()
            progress.advance(message=case_line(case, record))
        write_table(sweep, list(rows.values()))
    except KeyboardInterrupt:
        workers.interrupt()
        pool.shutdown(wait=True, cancel_futures=True)
        write_table(sweep, [table_row(sweep, c) for c in sweep.cases])
        tally = counts(sweep)
        raise SweepInterrupted(
            f"sweep {sweep.name} interrupted: {tally['done']} done, {tally['failed']} failed, "
            f"{tally['pending']} pending (the cases in flight stay pending); run the same "
            "command again to go on") from None
    finally:
        pool.shutdown(wait=True)
        workers.close()
        progress.close()


def _worker(sweep: Sweep, case: SweepCase, retry_failed: bool, workers: _Workers) -> dict:
    """One case in this thread's persistent worker process (``solver.studies.sweep_worker``,
    the job-array command ``lisse sweep FILE --case-index I`` run in-process): crashes stay
    in that process (the next case gets a fresh one). A worker stopped by a signal (Ctrl-C)
    records nothing: its case stays pending."""
    logs = sweep.output / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{case.case_id}.log"
    log.write_text("")
    code = workers.run(sweep, case, retry_failed, log)
    status, record = case_state(sweep.case_dir(case))
    if status == "pending" and (code is None or code in INTERRUPTED_EXIT or workers.stopping):
        return {"status": "pending", "reason": "interrupted"}
    if status == "pending":  # the worker died before recording anything
        from mpi4py import MPI

        from lisse.solver.io.runfolder import RunFolder

        record = {
            "status": "failed",
            "reason": f"worker process exited with code {code} (see logs/{case.case_id}.log)",
            "exit_code": code,
            "wall_time_s": 0.0,
        }
        failure = RunFolder(sweep.case_dir(case), MPI.COMM_SELF)
        failure.write_json("failure.json", record)
        failure.commit()
    return {"status": status if status != "pending" else "failed", **record}


def case_line(case: SweepCase, record: dict) -> str:
    """One log line for a finished case."""
    head = f"case {case.index} {case.case_id} ({_describe(case.values)})"
    if record["status"] == "done":
        return (
            f"{head}: done in {record.get('wall_time_s', 0):.1f} s, Newton "
            f"{record.get('newton_iterations', '-')}"
        )
    return f"{head}: FAILED: {record.get('reason', '')}"


# --- command line ---------------------------------------------------------------------------


def command(args, comm, prestarted: list[subprocess.Popen] = ()) -> None:
    """``lisse sweep``: expand and validate, then list, collect, run one case (job array),
    run in MPI groups or in a local pool (with the ``prestarted`` workers of
    ``sweep_pool.prestart`` first). Raises SolverError if any case failed."""
    workers = _Workers(prestarted)
    try:
        _command(args, comm, workers)
    finally:
        workers.close()


def _command(args, comm, workers) -> None:
    from lisse.solver.errors import SolverError

    for option, value in (("--jobs", args.jobs), ("--ranks-per-case", args.ranks_per_case)):
        if value is not None and value < 1:
            raise UserError(f"{option}: must be >= 1 (got {value})")
    sweep = load_sweep(args.sweep, args.output)
    say = (lambda text: print(text, flush=True)) if comm.rank == 0 else (lambda text: None)
    if args.count:
        say(str(len(sweep.cases)))
        return
    if args.list:
        say("\n".join(f"{c.index}\t{c.case_id}\t{_describe(c.values)}" for c in sweep.cases))
        return
    claim_output(sweep, comm, getattr(args, "overwrite", False), bool(args.output))
    if args.case_index is not None:
        run_index(sweep, args.case_index, comm, args.retry_failed, args.quiet)
        return
    if args.collect:
        if comm.rank == 0:
            write_manifest(sweep)
            write_table(sweep)
    elif comm.size > 1 or (args.jobs or _cores()) == 1:
        from lisse.solver.io.checkpoint import Interrupted

        try:
            run_groups(sweep, comm, args.ranks_per_case, args.retry_failed)
        except Interrupted as exc:  # SIGTERM/SIGINT: the cases in flight stay pending
            raise SweepInterrupted(
                f"sweep {sweep.name} interrupted ({exc.what} in {exc.folder.name}): the "
                "cases in flight stay pending, evolution cases with their checkpoints; run "
                "the same command again to go on") from None
    else:
        if args.ranks_per_case != 1:
            raise UserError(
                "--ranks-per-case: needs mpirun (the local pool runs each case on one rank)"
            )
        run_pool(sweep, args.jobs or _cores(), args.retry_failed, workers=workers)
    tally = counts(sweep)
    say(
        f"sweep {sweep.name}: {len(sweep.cases)} cases, {tally['done']} done, "
        f"{tally['failed']} failed, {tally['pending']} pending; table "
        f"{sweep.output / 'sweep.csv'}"
    )
    if tally["failed"]:
        raise SolverError(
            f"{tally['failed']} of {len(sweep.cases)} cases failed (reasons in "
            f"{sweep.output / 'sweep.csv'})"
        )


def run_index(sweep: Sweep, value: str, comm, retry_failed: bool = False,
              quiet: bool = False) -> None:
    """The job-array path (``--case-index I``, also what a local-pool worker runs): case I
    into its folder unless it has a result already. Raises SolverError if it failed."""
    from lisse.solver.errors import SolverError

    say = (lambda text: print(text, flush=True)) if comm.rank == 0 else (lambda text: None)
    case = sweep.cases[case_index(value, len(sweep.cases))]
    if comm.rank == 0 and not (sweep.output / "sweep.json").exists():
        write_manifest(sweep)  # the folder is a sweep folder from the first task on
    status = case_state(sweep.case_dir(case))[0]
    if status == "done" or (status == "failed" and not retry_failed):
        say(f"case {case.index} {case.case_id}: {status} already (skipped)")
    else:
        record = run_one(sweep, case, comm, sys.argv)
        status = record["status"]
        if not quiet:
            say(case_line(case, record))
    if status == "failed":
        raise SolverError(
            f"case {case.index} {case.case_id} failed (see "
            f"{sweep.case_dir(case) / 'failure.json'})"
        )


# names a sweep writes into its folder (job-array tasks starting together may see them
# before sweep.json); case folders are checked again one by one (RunFolder)
SWEEP_LAYOUT = ("sweep.json", "sweep.csv", "sweep.h5", "cases", "logs", "report")


def claim_output(sweep: Sweep, comm, overwrite: bool = False, option: bool = True) -> None:
    """The output-folder rule for the sweep folder (solver.io.runfolder.target_problem): it
    may not exist, be empty or be a sweep folder (``sweep.json``); a foreign folder, or another
    kind of folder lisse wrote (a run's), is refused, or with ``overwrite`` swapped for an
    empty one. Decided on rank 0, broadcast."""
    from lisse.solver.io.runfolder import is_lisse_folder, replace_with_empty, target_problem

    out = sweep.output
    problem, replace = None, False
    if comm.rank == 0:
        problem = target_problem(out, overwrite, "sweep.json")
        if out.is_dir() and not is_lisse_folder(out):
            entries = [e.name for e in out.iterdir()]
            layout = all(n in SWEEP_LAYOUT or n.startswith(".sweep.") for n in entries)
            if layout and not (problem and "never replaces" in problem):
                problem = None
            replace = bool(entries) and not layout and problem is None
        elif out.is_dir() and not (out / "sweep.json").is_file():
            replace = problem is None  # another kind of lisse folder, with overwrite
        if replace:
            try:
                replace_with_empty(out)
            except OSError as exc:
                problem = f"cannot replace it ({exc.strerror or exc})"
    problem = comm.bcast(problem, root=0)
    if problem:
        raise UserError(f"{'-o' if option else 'output'} {out}: {problem}")


def case_index(value: str, n: int) -> int:
    """The job-array index: ``value``, or $SLURM_ARRAY_TASK_ID when ``value`` is "env"."""
    if value == "env":
        value = os.environ.get("SLURM_ARRAY_TASK_ID", "")
        if not value:
            raise UserError("--case-index: no value given and SLURM_ARRAY_TASK_ID is not set")
    try:
        index = int(value)
    except ValueError:
        raise UserError(f"--case-index: must be an integer (got {value!r})") from None
    if not 0 <= index < n:
        raise UserError(f"--case-index {index}: out of range (the sweep has {n} cases, 0..{n - 1})")
    return index
