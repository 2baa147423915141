"""Time-dependent runs and CCD searches: build the model, run it, write the folder."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import yaml

from lisse.solver.config.params import Resolved
from lisse.solver.errors import SolverError, UserError
from lisse.solver.io import checkpoint, evolution_plots
from lisse.solver.io.checkpoint import Interrupted, StopRequests
from lisse.solver.io.progress import Progress
from lisse.solver.io.runfolder import RunFolder, run_record
from lisse.solver.physics.coupled_3d import CoupledEvolution3D
from lisse.solver.physics.coupled_interface import COLUMNS, CoupledEvolution
from lisse.solver.physics.electrolyte_elastic import COLUMNS as ELASTIC_COLUMNS
from lisse.solver.physics.electrolyte_elastic import ElasticElectrolyte, ElectrolyteCoupling
from lisse.solver.physics.electrolyte_elastic_3d import ElectrolyteCoupling3D
from lisse.solver.physics.evolution_settings import Outcome
from lisse.solver.physics.gap_evolution import EvolutionError, InterfaceEvolution
from lisse.solver.studies.evolution_checkpoint import (
    Checkpoints,
    load_checkpoint,
    restore,
    write_checkpoint,
)
from lisse.solver.studies.evolution_impedance import EvolutionSpectra
from lisse.solver.studies.gap_closure import measure_gap_closure
from lisse.solver.studies.hold import elastic_regions
from lisse.solver.studies.interface_picture import InterfacePictures
from lisse.solver.studies.model import Model, build_model
from lisse.solver.studies.protocol_ccd import protocol_ccd
from lisse.units import A_M2_PER_MA_CM2, SECONDS_PER_HOUR, UM_PER_M

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
    ("li_interphase_um", "li_interphase", UM_PER_M),
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
        raise UserError("evolution.steps: give at least one step (or a staircase, or protocol "
                        "lines)")
    start = time.perf_counter()
    restart = load_checkpoint(params, resume, comm, resolved_config)
    model = build_model(params, comm, "evolution")
    settings = _with_closure_rate(model, settings)
    folder = RunFolder(outdir, comm)
    try:
        evo = _engine(model, settings)
        snapshots, control, outcome, wall_before = [_snapshot(evo, "initial")], None, None, 0.0
        if restart is not None:
            snapshots, control, outcome, wall_before = restore(evo, restart, resume)
        progress = Progress("evolution [h]", comm=comm,
                            total=sum(s.duration for s in settings.steps) / SECONDS_PER_HOUR)
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

        spectra = EvolutionSpectra(folder, evo, model)  # impedance.evolution_times_h
        spectra.maybe()
        pictures = (InterfacePictures(evo, params.output, resumed=restart is not None)
                    if params.output.interface_picture_times else None)  # ..._times_h

        def report(rec, sol, j):
            progress.update(rec.time / SECONDS_PER_HOUR, t=f"{rec.time:.4g} s",
                            contact=f"{rec.contact_fraction:.3f}")
            spectra.maybe()
            if pictures is not None:
                pictures.step(j, rec.applied_current_density)
            if fields is not None:
                fields.maybe_write(sol, j)
            if _passed(profile_times, evo.time):
                snapshots.append(_snapshot(evo, f"t{len(snapshots)}"))

        def save(control, outcome) -> None:
            wall = wall_before + time.perf_counter() - start
            write_checkpoint(folder, evo, control, outcome, snapshots, wall,
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
        summary["interface_model"] = settings.interface_model
        if settings.interface_model == "coupled":  # the Li's contact: frictionless or sticking
            summary |= {"contact": settings.contact, "li_remeshes": int(evo.remeshes)}
        if fields is not None and fields.li is not None:  # the Li's own files, in order
            summary["li_field_files"] = list(fields.li.files)
        summary |= spectra.close(params.output.plots, params.output.figure_formats)
        if pictures is not None:
            summary |= pictures.close(folder)
        if error is not None:
            summary |= {"failed": True, "failure_mode": f"solver error: {error}",
                        "failure_time_s": evo.time}
        folder.write_text("config_resolved.yaml",
                          yaml.safe_dump(resolved_config, sort_keys=False))
        folder.write_json("run.json", run_record(params, argv, comm))
        _write_timeseries(folder, outcome, TIMESERIES_COLUMNS + (
            COLUMNS if settings.interface_model == "coupled" else []) + (
            ELASTIC_COLUMNS if settings.electrolyte_mechanics == "elastic" else []))
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


def _engine(model: Model, settings) -> InterfaceEvolution:
    """The evolution engine of ``evolution.interface_model``: reduced or coupled (2D or 3D;
    every kind resumes from its checkpoint), the coupled one with the elastic electrolyte
    of ``evolution.electrolyte_mechanics: elastic``."""
    if settings.interface_model != "coupled":
        return InterfaceEvolution(model.params, settings, model.reset(), model.comm)
    solid = model.params.geometry.dimension == "3d"
    engine = CoupledEvolution3D if solid else CoupledEvolution
    evo = engine(model.params, settings, model.reset(), model.lithium, model.comm)
    if settings.electrolyte_mechanics == "elastic":  # one-way (electrolyte_elastic)
        params = model.params
        coupling = ElectrolyteCoupling3D if solid else ElectrolyteCoupling
        evo.electrolyte = coupling(ElasticElectrolyte(
            model.domain, elastic_regions(params), params.geometry.dimension, params.numerics))
    return evo


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
    share [-] and the local current density [A/m²]; with the coupled interface model also
    the Li's displacement [m], velocity [m/s], contact pressure [Pa], stresses [Pa] and
    strains at its nodes (``CoupledEvolution.li_fields``, ``solver.physics.li_output``;
    until the first Li remeshing) and, with the elastic electrolyte, its cell-wise stresses
    [Pa] and displacement [m] (``ElasticElectrolyte.fields``).
    Written at the start, at the first step past each of
    ``times`` [s] and at the end. The coupled model's Li fields go also into the Li's own
    files on its own mesh, ``li.xdmf`` and after each Li remeshing ``li_remesh<k>.xdmf``
    (``solver.io.li_dataset``), at the same times."""

    NAMES = ("electrolyte_potential_V", "gap_um", "pores_um", "contact_share",
             "local_current_density_A_m2")

    def __init__(self, folder: RunFolder, evo: InterfaceEvolution, times, mesh):
        """``mesh``: the full cell's mesh data (Model.mesh)."""
        from dolfinx import fem

        from lisse.solver.io.dataset import CellDataset, FieldWriter
        from lisse.solver.io.li_dataset import LiSeries

        self.evo, self.times = evo, list(times)
        space = evo.cd.space
        self.fields = {name: fem.Function(space, name=name) for name in self.NAMES}
        dataset = CellDataset(mesh)
        dataset.write_mesh(folder.path("mesh.xdmf"))
        self.writer = FieldWriter(dataset, folder.path("fields.xdmf"))
        self.li = LiSeries(folder, evo.comm) if isinstance(evo, CoupledEvolution) else None
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
        points = evo.li_fields() if isinstance(evo, CoupledEvolution) else None
        if getattr(evo, "electrolyte", None) is not None:  # its stresses and displacement
            f = f | evo.electrolyte.fields(evo)
        self.writer.write(evo.time, f, points)
        if self.li is not None:
            self.li.write(evo)
        self.written = evo.time

    def close(self) -> None:
        if self.written != self.evo.time:
            self.write(*self.last)
        self.writer.close()
        if self.li is not None:
            self.li.close()


def _snapshot(evo: InterfaceEvolution, label: str) -> dict:
    return {"label": label, "time": evo.time, "gap": evo.gap.copy(),
            "pores": evo.pores.copy(), "share": evo.contact_share()}


def _table(outcome: Outcome, columns=TIMESERIES_COLUMNS) -> np.ndarray:
    return np.array([[getattr(r, attr) * factor for _, attr, factor in columns]
                     for r in outcome.records]).reshape(-1, len(columns))


def _write_timeseries(folder: RunFolder, outcome: Outcome, columns) -> None:
    folder.write_csv("timeseries.csv", [c for c, _, _ in columns], _table(outcome, columns))


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


def _protocol_ccd(outcome: Outcome) -> dict:
    """The highest stripping current density carried through a whole step and the one of
    the failing step (None if the run did not fail while stripping) [mA/cm²]."""
    ccd = protocol_ccd(outcome)
    return {"protocol_ccd_survived_mA_cm2": ccd.survived / A_M2_PER_MA_CM2,
            "protocol_ccd_failed_mA_cm2": None if np.isnan(ccd.failed)
            else ccd.failed / A_M2_PER_MA_CM2}


def _summary(outcome: Outcome, evo: InterfaceEvolution, wall: float) -> dict:
    last = outcome.records[-1] if outcome.records else None
    return {
        "failed": outcome.failed,
        "failure_mode": outcome.failure_mode,
        "failure_time_s": outcome.failure_time if outcome.failed else None,
        "failure_criterion": outcome.failure_criterion or None,
        "interface_failure": outcome.interface_failure,
        # the CCD as a staircase experiment reads it (solver.studies.protocol_ccd)
        **_protocol_ccd(outcome),
        "closure_rate_per_s": evo.settings.closure_rate,
        "time_s": evo.time,
        "final_contact_fraction": evo.contact_fraction(),
        "final_void_volume_per_area_um": (last.void_volume_per_area * UM_PER_M) if last
        else 0.0,
        "li_stripped_um": evo.stripped * UM_PER_M,
        "li_interphase_um": evo.li_interphase() * UM_PER_M,
        "max_mass_balance_error": max((r.mass_balance_error for r in outcome.records),
                                      default=0.0),
        "time_steps": len(outcome.records),
        "wall_time_s": wall,
    }


