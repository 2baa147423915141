"""One steady run: model → current distribution → observables → run folder."""

from __future__ import annotations

import time

import numpy as np
import ufl
import yaml
from dolfinx import fem

from lisse.solver.config.params import Resolved
from lisse.solver.io import plots
from lisse.solver.io.progress import Progress
from lisse.solver.io.runfolder import RunFolder, run_record, write_fields
from lisse.solver.physics import conductivity as microstructure
from lisse.solver.physics.current import CurrentSolution
from lisse.solver.studies import hold, observables
from lisse.solver.studies.model import Model, build_model
from lisse.units import UM_PER_M


def solve_model(model: Model) -> CurrentSolution:
    """The steady current distribution of a built model under the case's protocol."""
    protocol = model.params.protocol
    value = (protocol.current_density if protocol.mode == "galvanostatic"
             else protocol.voltage)
    return model.current.solve(protocol.mode, value)


def model_info(model: Model) -> dict:
    """Problem sizes for ``summary.json``."""
    msh = model.domain.mesh
    galvanostatic = model.params.protocol.mode == "galvanostatic"
    return {"electrolyte_cells": msh.topology.index_map(msh.topology.dim).size_global,
            "unknowns": model.current.ndofs + galvanostatic}


def run_case(params: Resolved, outdir, comm, resolved_config: dict,
             argv: list[str] | None = None) -> dict:
    """Run a steady case and write its folder; returns the summary."""
    folder = RunFolder(outdir, comm)
    try:
        start = time.perf_counter()
        model = build_model(params, comm, "steady")
        with Progress("solve", comm=comm):
            sol = solve_model(model)
        summary = observables.summary(sol, params, comm)
        summary.update(model_info(model))
        if model.hold is not None:
            summary.update(hold.summary(model.hold))
            hold.write(folder, model.hold, params, comm)
        maps = []
        if params.microstructure is not None or params.leakage.enabled:
            extra, maps = microstructure.analyse(sol, params)
            summary.update(extra)
        summary["wall_time_s"] = time.perf_counter() - start
        _write(folder, model, sol, summary, resolved_config, argv, comm, maps)
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return summary


def _write(folder: RunFolder, model: Model, sol: CurrentSolution, summary: dict,
           resolved_config: dict, argv, comm, maps=()) -> None:
    params = model.params
    folder.write_text("config_resolved.yaml", yaml.safe_dump(resolved_config, sort_keys=False))
    folder.write_json("run.json", run_record(params, argv, comm))
    x, j, contact = observables.interface_profile(sol, comm)
    gdim = params.geometry.gdim
    names = ["x_um", "y_um", "z_um"][:gdim]
    if params.geometry.dimension == "axisymmetric":
        names[0] = "r_um"
    rows = np.column_stack([x[:, :gdim] * UM_PER_M, j, contact.astype(float)])
    folder.write_csv("interface.csv", [*names, "current_density_A_m2", "contact"], rows)
    if params.output.fields:
        write_fields(folder, model, sol, maps)  # mesh.xdmf, fields.xdmf
    if params.output.plots:
        axi = params.geometry.dimension == "axisymmetric"
        formats = params.output.figure_formats
        if comm.rank == 0:
            plots.interface_profile(folder.path("interface_current.png"), x, j, contact, gdim,
                                    summary["mean_contact_current_density_A_m2"], axi, formats)
        if gdim == 2:
            mid, mag = _cell_current(sol, sol.conductivity, comm)
            if comm.rank == 0:
                geom = params.geometry
                window = min(geom.electrolyte_thickness, 0.3 * geom.width)
                plots.current_field(folder.path("current_field.png"), mid, mag, window, axi,
                                    formats)
    folder.write_json("summary.json", summary)


def _cell_current(sol: CurrentSolution, conductivity: float, comm):
    """Vertex coordinates (n, 3, 2) and |−κ∇φ| of the owned cells, gathered on rank 0."""
    msh = sol.potential.function_space.mesh
    space = fem.functionspace(msh, ("DG", 0))
    mag = fem.Function(space)
    grad = ufl.grad(sol.potential)
    flux = conductivity * grad
    mag.interpolate(fem.Expression(ufl.sqrt(ufl.inner(flux, flux)),
                                   space.element.interpolation_points))
    ncells = msh.topology.index_map(msh.topology.dim).size_local
    nodes = msh.geometry.dofmaps[0][:ncells]
    triangles = msh.geometry.x[nodes][:, :, :2]
    triangles = comm.gather(triangles, root=0)
    values = comm.gather(mag.x.array[:ncells].copy(), root=0)
    if comm.rank != 0:
        return None, None
    return np.concatenate(triangles), np.concatenate(values)
