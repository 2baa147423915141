"""Time-dependent runs and CCD searches: build the model, run it, write the folder."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import yaml
from mpi4py import MPI

from lisse.meshes.cache import geometry_key
from lisse.solver.config.params import Resolved
from lisse.solver.errors import SolverError, UserError
from lisse.solver.io import checkpoint, evolution_plots
from lisse.solver.io.checkpoint import Interrupted, StopRequests
from lisse.solver.io.progress import Progress
from lisse.solver.io.runfolder import RunFolder, run_record
from lisse.solver.physics.gap_evolution import (
    EvolutionError,
    InterfaceEvolution,
    Outcome,
    ProtocolStep,
    Record,
    StepControl,
)
from lisse.solver.studies.ccd_search import CcdResult, Trial, find_ccd
from lisse.solver.studies.gap_closure import measure_gap_closure
from lisse.solver.studies.model import Model, build_model, check_supported
from lisse.units import A_M2_PER_MA_CM2, UM_PER_M

TIMESERIES_COLUMNS = [  # (header with unit, Record attribute, factor from SI)
    ("time_s", "time", 1.0),
    ("applied_current_density_mA_cm2", "applied_current_density", 1 / A_M2_PER_MA_CM2),
    ("cell_voltage_V", "cell_voltage", 1.0),
    ("contact_fraction", "contact_fraction", 1.0),
    ("void_volume_per_area_um", "void_volume_per_area", UM_PER_M),
    ("max_gap_um", "max_gap", UM_PER_M),
    ("hotspot_factor", "hotspot_factor", 1.0),
    ("max_local_current_density_mA_cm2", "max_local_current_density", 1 / A_M2_PER_MA_CM2),
    ("li_stripped_um", "li_stripped", UM_PER_M),
    ("collector_recession_um", "collector_recession", UM_PER_M),
    ("mass_balance_error", "mass_balance_error", 1.0),
]


def _settings(params: Resolved):
    settings = params.evolution
    if settings is None:
        raise UserError("evolution: this command needs an evolution section in the case")
    if (settings.creep is not None and settings.creep_closure == "creep_field"
            and not params.geometry.voids):
        raise UserError("evolution.supply.creep_closure: creep_field measures the closure "
                        "of the geometry's voids; give geometry.voids or use isolated_void")
    return settings


def _with_closure_rate(model: Model, settings, say=None):
    """The settings with the closure rate measured on the cell's creep field when
    ``supply.creep_closure`` is creep_field (and creep and a stack pressure are on)."""
    if (settings.creep is None or settings.creep_closure != "creep_field"
            or settings.stack_pressure <= 0):
        return settings
    closure = measure_gap_closure(model.params, settings.stack_pressure, model.comm,
                                  model.mesh)
    if say is not None:
        say(f"  closure rate from the creep field: k = {closure.rate:.4g} /s "
            f"({closure.steps} creep steps)")
    return dataclasses.replace(settings, closure_rate=closure.rate)


def run_evolution(params: Resolved, outdir, comm, resolved_config: dict,
                  argv: list[str] | None = None, resume=None) -> dict:
    """Run the case's protocol and write its folder; returns the summary.

    With ``resume`` (a run folder, or its staging folder) the run goes on from the
    checkpoint there (``solver.io.checkpoint``) and ends as the uninterrupted run would.
    Checkpoints are written into the staging folder every ``checkpoint_every_steps`` steps
    and every ``checkpoint_interval_s`` of wall time; SIGTERM or SIGINT writes one at the end
    of the current step and stops the run with ``Interrupted`` (exit code 3)."""
    settings = _settings(params)
    if not settings.steps:
        raise UserError("evolution.steps: give at least one step (or a staircase)")
    start = time.perf_counter()
    restart = _load_checkpoint(params, resume, comm, resolved_config)
    model = build_model(params, comm, "evolution")
    settings = _with_closure_rate(model, settings)
    folder = RunFolder(outdir, comm)
    try:
        evo = InterfaceEvolution(params, settings, model.reset(), comm)
        snapshots, control, outcome, wall_before = [_snapshot(evo, "initial")], None, None, 0.0
        if restart is not None:
            snapshots, control, outcome, wall_before = _restore(evo, restart, resume)
        progress = Progress("evolution", comm=comm)
        profile_times = list(settings.interface_times)
        _passed(profile_times, evo.time)
        fields = None
        if params.output.fields and settings.field_snapshots > 0:
            total = sum(step.duration for step in settings.steps)
            fields = FieldSeries(folder, evo,
                                 np.linspace(0, total, settings.field_snapshots + 1)[1:],
                                 model.mesh)
            _passed(fields.times, evo.time)
            fields.write(None, None)

        def report(rec, sol, j):
            progress.status(t_s=f"{rec.time:.4g}", contact=f"{rec.contact_fraction:.3f}")
            if fields is not None:
                fields.maybe_write(sol, j)
            if _passed(profile_times, evo.time):
                snapshots.append(_snapshot(evo, f"t{len(snapshots)}"))

        def save(control, outcome) -> None:
            wall = wall_before + time.perf_counter() - start
            _write_checkpoint(folder, evo, control, outcome, snapshots, wall,
                              resolved_config)

        error = None
        with StopRequests() as stops:
            pause = Checkpoints(settings, stops, save, comm)
            if restart is not None:  # the checkpoint now lives in this run's staging folder
                save(control, outcome)
            try:
                outcome = evo.run(report, pause, control, outcome)
            except EvolutionError as exc:  # write what was computed, then report the error
                error, outcome = exc, exc.outcome
        progress.close()
        if fields is not None:
            fields.close()
        if outcome.paused:
            raise Interrupted(evo.time, folder.stage)
        if snapshots[-1]["time"] != evo.time or len(snapshots) == 1:
            snapshots.append(_snapshot(evo, "final"))
        else:
            snapshots[-1]["label"] = "final"
        summary = _summary(outcome, evo, wall_before + time.perf_counter() - start)
        summary["interface_profile_times_s"] = {s["label"]: s["time"] for s in snapshots}
        if error is not None:
            summary |= {"failed": True, "failure_mode": f"solver error: {error}",
                        "failure_time_s": evo.time}
        folder.write_text("config_resolved.yaml",
                          yaml.safe_dump(resolved_config, sort_keys=False))
        folder.write_json("run.json", run_record(params, argv, comm))
        _write_timeseries(folder, outcome)
        _write_interface(folder, evo, snapshots, comm)
        if params.output.plots and comm.rank == 0 and outcome.records:
            evolution_plots.timeseries(folder.path("timeseries.png"), _table(outcome),
                                       params.output.figure_formats)
        folder.write_json("summary.json", summary)
        if comm.rank == 0:
            folder.path(checkpoint.NAME).unlink(missing_ok=True)
    except Interrupted:  # the staging folder keeps the checkpoint
        raise
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    if error is not None:
        raise SolverError(f"{error} (the state so far is in {folder.target})")
    return summary


class Checkpoints:
    """``pause`` of ``InterfaceEvolution.run``: after every step, write a checkpoint when
    one is due (every ``checkpoint_steps`` steps, every ``checkpoint_interval`` [s] of wall
    time by rank 0's clock) or a stop was requested on any rank; all ranks decide together
    (one allreduce per step). Returns True (stop) after a requested stop."""

    def __init__(self, settings, stops: StopRequests, save, comm):
        self.every, self.interval = settings.checkpoint_steps, settings.checkpoint_interval
        self.stops, self.save, self.comm = stops, save, comm
        self.steps, self.last = 0, time.perf_counter()

    def __call__(self, control, outcome) -> bool:
        self.steps += 1
        due = 2 if self.stops.requested else 0  # 2: stop, 1: periodic checkpoint
        if self.comm.rank == 0 and not due:
            due = int(bool(self.every and self.steps % self.every == 0) or (
                self.interval > 0 and time.perf_counter() - self.last >= self.interval))
        due = self.comm.allreduce(due, op=MPI.MAX)
        if due:
            self.save(control, outcome)
            self.last = time.perf_counter()
        return due == 2


_NODE_STATE = ("recession", "pores", "gap")
_SNAPSHOT = ("gap", "pores", "share")


def _write_checkpoint(folder: RunFolder, evo: InterfaceEvolution, control: StepControl,
                      outcome: Outcome, snapshots: list[dict], wall: float,
                      resolved_config: dict) -> None:
    """The run's state after a step: the interface (per node), the time-step controller
    with the state before the last step (for a cut-back), the records, the interface
    profiles so far, the wall time [s], the resolved config and the mesh cache key."""
    columns = {k: getattr(evo, k) for k in _NODE_STATE}
    scalars = {k: float(getattr(evo, k)) for k in evo._STATE if k not in _NODE_STATE}
    previous = None
    if control.previous is not None:
        state, length = control.previous
        columns |= {f"previous_{k}": state[k] for k in _NODE_STATE}
        previous = {"length": length,
                    **{k: float(v) for k, v in state.items() if k not in _NODE_STATE}}
    for n, snap in enumerate(snapshots):
        columns |= {f"snapshot{n}_{k}": snap[k] for k in _SNAPSHOT}
    meta = {
        "config": resolved_config, "mesh_key": geometry_key(evo.params.geometry),
        "scalars": scalars, "previous": previous, "wall_time_s": wall,
        "control": {"index": control.index, "end": control.end, "dt": control.dt,
                    "cutbacks": control.cutbacks, "halved": control.halved},
        "records": [dataclasses.asdict(r) for r in outcome.records],
        "cutbacks": outcome.cutbacks,
        "snapshots": [{"label": s["label"], "time": s["time"]} for s in snapshots],
    }
    checkpoint.write(folder.path(checkpoint.NAME), evo.comm, evo.x, columns, meta)


def _load_checkpoint(params: Resolved, resume, comm, resolved_config: dict):
    """The checkpoint of ``resume`` (metadata, node coordinates, table), refused if the case
    is not the checkpointed one; None without ``resume``."""
    if resume is None:
        return None
    where = f"--resume {resume}"
    path = comm.bcast(checkpoint.location(resume) if comm.rank == 0 else None, root=0)
    if path is None:
        raise UserError(f"{where}: no {checkpoint.NAME} in it or in its staging folder "
                        f"(an evolution run writes one there when stopped)")
    meta, coords, table = checkpoint.load(path, comm, where)
    differs = checkpoint.config_difference(meta["config"], resolved_config)
    if differs is None and meta["mesh_key"] != geometry_key(params.geometry):
        differs = "the mesh"
    if differs:
        raise UserError(f"{where}: the case differs from the checkpointed one ({differs})")
    return meta, coords, table


def _restore(evo: InterfaceEvolution, restart, resume):
    """Put the checkpointed state into ``evo``; returns the interface profiles, the
    time-step controller, the outcome so far and the wall time [s] spent before."""
    meta, coords, table = restart
    columns = checkpoint.local_columns(meta, coords, table, evo.x, evo.comm,
                                       f"--resume {resume}")
    evo._restore({**meta["scalars"], **{k: columns[k] for k in _NODE_STATE}})
    control = StepControl(**meta["control"])
    if meta["previous"] is not None:
        state = {k: v for k, v in meta["previous"].items() if k != "length"}
        state |= {k: columns[f"previous_{k}"] for k in _NODE_STATE}
        control.previous = (state, meta["previous"]["length"])
    outcome = Outcome(records=[Record(**r) for r in meta["records"]],
                      cutbacks=meta["cutbacks"])
    snapshots = [{**s, **{k: columns[f"snapshot{n}_{k}"] for k in _SNAPSHOT}}
                 for n, s in enumerate(meta["snapshots"])]
    return snapshots, control, outcome, meta["wall_time_s"]


def _passed(times: list[float], now: float) -> bool:
    """Drop the times (increasing) reached at ``now`` [s]; True if there were any."""
    reached = False
    while times and now >= times[0] * (1 - 1e-12):
        times.pop(0)
        reached = True
    return reached


class FieldSeries:
    """ParaView time series ``fields.xdmf`` on the full cell mesh (lisse.solver.io.dataset;
    with ``mesh.xdmf``): ``region``, the electrolyte potential φ [V] (0 in the Li) and, at
    the interface nodes (zero elsewhere), the gap [µm], the pore content [µm], the contact
    share [-] and the local current density [A/m²]. Written at the start, at the first step
    past each of ``times`` [s] and at the end."""

    NAMES = ("electrolyte_potential_V", "gap_um", "pores_um", "contact_share",
             "local_current_density_A_m2")

    def __init__(self, folder: RunFolder, evo: InterfaceEvolution, times, mesh):
        """``mesh``: the full cell's mesh data (Model.mesh)."""
        from dolfinx import fem

        from lisse.solver.io.dataset import CellDataset, FieldWriter

        self.evo, self.times = evo, list(times)
        space = evo.cd.space
        self.fields = {name: fem.Function(space, name=name) for name in self.NAMES}
        dataset = CellDataset(mesh)
        dataset.write_mesh(folder.path("mesh.xdmf"))
        self.writer = FieldWriter(dataset, folder.path("fields.xdmf"))
        self.last, self.written = (None, None), None

    def maybe_write(self, sol, j) -> None:
        self.last = (sol, j)
        if _passed(self.times, self.evo.time):
            self.write(sol, j)

    def write(self, sol, j) -> None:
        evo, f = self.evo, self.fields
        f["electrolyte_potential_V"].x.array[:] = 0.0 if sol is None else sol.potential.x.array
        interface = (("gap_um", evo.gap * UM_PER_M), ("pores_um", evo.pores * UM_PER_M),
                     ("contact_share", evo.contact_share()),
                     ("local_current_density_A_m2", 0.0 if j is None else j))
        for name, values in interface:
            f[name].x.array[:] = 0.0
            f[name].x.array[evo.nodes] = values
        for func in f.values():
            func.x.scatter_forward()
        self.writer.write(evo.time, f)
        self.written = evo.time

    def close(self) -> None:
        if self.written != self.evo.time:
            self.write(*self.last)
        self.writer.close()


def _snapshot(evo: InterfaceEvolution, label: str) -> dict:
    return {"label": label, "time": evo.time, "gap": evo.gap.copy(),
            "pores": evo.pores.copy(), "share": evo.contact_share()}


def _table(outcome: Outcome) -> np.ndarray:
    return np.array([[getattr(r, attr) * factor for _, attr, factor in TIMESERIES_COLUMNS]
                     for r in outcome.records]).reshape(-1, len(TIMESERIES_COLUMNS))


def _write_timeseries(folder: RunFolder, outcome: Outcome) -> None:
    folder.write_csv("timeseries.csv", [c for c, _, _ in TIMESERIES_COLUMNS], _table(outcome))


def _write_interface(folder: RunFolder, evo: InterfaceEvolution, snapshots: list[dict],
                     comm) -> None:
    """interface.csv: gap, pore content and contact share at the start ("initial"), at the
    profile times ("t1", "t2", ...; the times are in summary.json) and at the end."""
    gdim = evo.params.geometry.gdim
    columns = [evo.x[:, k] * UM_PER_M for k in range(gdim - 1)]
    for snap in snapshots:
        columns += [snap["gap"] * UM_PER_M, snap["pores"] * UM_PER_M, snap["share"]]
    rows = np.concatenate(comm.allgather(np.column_stack(columns)))
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    names = ["x_um", "y_um"][: gdim - 1]
    if evo.params.geometry.dimension == "axisymmetric":
        names = ["r_um"]
    for label in (s["label"] for s in snapshots):
        names += [f"gap_{label}_um", f"pores_{label}_um", f"contact_share_{label}"]
    folder.write_csv("interface.csv", names, rows)
    if evo.params.output.plots and comm.rank == 0 and gdim == 2:
        evolution_plots.interface(folder.path("interface_evolution.png"), rows,
                                  [(s["label"], s["time"]) for s in snapshots],
                                  evo.params.output.figure_formats)


def _summary(outcome: Outcome, evo: InterfaceEvolution, wall: float) -> dict:
    last = outcome.records[-1] if outcome.records else None
    return {
        "failed": outcome.failed,
        "failure_mode": outcome.failure_mode,
        "failure_time_s": outcome.failure_time if outcome.failed else None,
        "closure_rate_per_s": evo.settings.closure_rate,
        "time_s": evo.time,
        "final_contact_fraction": evo.contact_fraction(),
        "final_void_volume_per_area_um": (last.void_volume_per_area * UM_PER_M) if last
        else 0.0,
        "li_stripped_um": evo.stripped * UM_PER_M,
        "max_mass_balance_error": max((r.mass_balance_error for r in outcome.records),
                                      default=0.0),
        "time_steps": len(outcome.records),
        "wall_time_s": wall,
    }


def ccd_search(params: Resolved, comm, progress: Progress | None = None) -> CcdResult:
    """The stripping CCD of a case under ``evolution.ccd`` (whole simulations, each trial
    from the same model and starting interface)."""
    model = build_model(params, comm, "ccd")
    settings = _with_closure_rate(model, _settings(params),
                                 progress.log if progress is not None else None)
    spec = settings.ccd

    def trial(j: float) -> Trial:
        steps = (ProtocolStep(j, spec.capacity / j, "strip"),)
        evo = InterfaceEvolution(params, dataclasses.replace(settings, steps=steps),
                                 model.reset(), comm)
        outcome = evo.run()
        if progress is not None:
            progress.log(f"  {j / 10:.4g} mA/cm²: "
                         f"{outcome.failure_mode if outcome.failed else 'survived'}")
        return Trial(j, not outcome.failed, outcome.failure_mode,
                     outcome.failure_time if outcome.failed else math.nan)

    return find_ccd(trial, spec.start, spec.maximum, spec.rtol)


def run_ccd_study(case_path: str, overrides: list[str], vary: str | None, outdir, comm,
                  argv: list[str] | None = None) -> list[dict]:
    """The CCD of a case, or of each value of one varied config path ("path=v1,v2,...");
    writes ccd.csv, ccd.json and ccd.png into ``outdir``."""
    from lisse.solver.config.schema import load_case, resolve, resolved_dict

    path, values = None, [None]
    if vary:
        path, _, text = vary.partition("=")
        values = [v.strip() for v in text.split(",") if v.strip()]
        if not path or not values:
            raise UserError(f"--vary '{vary}': expected path=v1,v2,... e.g. "
                            f"evolution.stack_pressure_MPa=0.5,1,3,7")
    cases = []
    for value in values:  # validate every case before running any
        extra = [f"{path}={value}"] if path else []
        case = load_case(case_path, [*overrides, *extra])
        params = resolve(case)
        _settings(params)
        check_supported(params, "ccd")
        cases.append((value, params, resolved_dict(case)))
    folder = RunFolder(outdir, comm)
    rows = []
    start = time.perf_counter()
    try:
        progress = Progress("ccd", total=len(cases), comm=comm)
        for value, params, _ in cases:
            progress.log(f"CCD search{'' if path is None else f' at {path} = {value}'}")
            result = ccd_search(params, comm, progress)
            rows.append({"parameter": path, "value": value, "ccd_mA_cm2": result.ccd / 10,
                         "bracket_mA_cm2": [b / 10 for b in result.bracket],
                         "precision": params.evolution.ccd.rtol,
                         "failure_mode": result.failure_mode, "trials": len(result.trials)})
            progress.advance()
        progress.close()
        folder.write_text("config_resolved.yaml", yaml.safe_dump(cases[0][2], sort_keys=False))
        folder.write_json("run.json", run_record(cases[0][1], argv, comm)
                          | {"wall_time_s": time.perf_counter() - start})
        folder.write_json("ccd.json", {"results": rows})
        table = np.array([[float(r["value"]) if path else 0.0, r["ccd_mA_cm2"],
                           *r["bracket_mA_cm2"]] for r in rows])
        folder.write_csv("ccd.csv", [path or "case", "ccd_mA_cm2", "bracket_low_mA_cm2",
                                     "bracket_high_mA_cm2"], table)
        if path and comm.rank == 0 and cases[0][1].output.plots:
            evolution_plots.ccd_curve(folder.path("ccd.png"), list(table[:, 0]),
                                      list(table[:, 1]), [tuple(t) for t in table[:, 2:]],
                                      path, [r["failure_mode"] for r in rows],
                                      formats=cases[0][1].output.figure_formats)
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return rows
