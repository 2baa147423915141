"""One steady run: mesh → current distribution → observables → run folder."""

from __future__ import annotations

import time

import numpy as np
import ufl
import yaml
from dolfinx import fem

from lisse.meshes.cache import load_mesh
from lisse.solver.config.params import Resolved
from lisse.solver.fem.domain import electrolyte_domain
from lisse.solver.io import plots
from lisse.solver.io.runfolder import RunFolder, run_record, write_field, write_fields
from lisse.solver.physics import conductivity as microstructure
from lisse.solver.physics.current import CurrentDistribution, CurrentSolution
from lisse.solver.studies import observables


def solve_current(params: Resolved, comm, hold=None) -> tuple[CurrentSolution, dict]:
    """Build (or reuse) the mesh and solve the current distribution of a case; ``hold``
    (``solver.studies.hold.Hold``) sets the contact and stress coupling after creep."""
    data = load_mesh(params.geometry, comm)
    domain = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags,
                                params.geometry.dimension == "axisymmetric")
    cd = CurrentDistribution(domain, microstructure.ionic_conductivity(domain, params),
                             params.working, params.counter, params.temperature,
                             params.numerics)
    if hold is not None:
        from lisse.solver.studies import hold as mechanics_run

        mechanics_run.couple(cd, hold, params)
    value = (params.protocol.current_density if params.protocol.mode == "galvanostatic"
             else params.protocol.voltage)
    sol = cd.solve(params.protocol.mode, value)
    info = {"electrolyte_cells": domain.mesh.topology.index_map(domain.mesh.topology.dim)
            .size_global, "unknowns": cd.ndofs + (params.protocol.mode == "galvanostatic")}
    return sol, info


def run_case(params: Resolved, outdir, comm, resolved_config: dict,
             argv: list[str] | None = None) -> dict:
    """Run a steady case and write its folder; returns the summary."""
    folder = RunFolder(outdir, comm)
    try:
        start = time.perf_counter()
        hold = None
        if params.mechanics is not None:
            from lisse.solver.studies import hold as mechanics_run

            hold = mechanics_run.run_hold(params, comm)
        sol, info = solve_current(params, comm, hold)
        summary = observables.summary(sol, params, comm)
        summary.update(info)
        if hold is not None:
            summary.update(mechanics_run.summary(hold))
            mechanics_run.write(folder, hold, params, comm)
        maps = []
        if params.microstructure is not None or params.leakage.enabled:
            extra, maps = microstructure.analyse(sol, params)
            summary.update(extra)
        summary["wall_time_s"] = time.perf_counter() - start
        _write(folder, params, sol, summary, resolved_config, argv, comm, maps)
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return summary


def _write(folder: RunFolder, params: Resolved, sol: CurrentSolution, summary: dict,
           resolved_config: dict, argv, comm, maps=()) -> None:
    folder.write_text("config_resolved.yaml", yaml.safe_dump(resolved_config, sort_keys=False))
    folder.write_json("run.json", run_record(params, argv, comm))
    x, j, contact = observables.interface_profile(sol, comm)
    gdim = params.geometry.gdim
    names = ["x_um", "y_um", "z_um"][:gdim]
    if params.geometry.dimension == "axisymmetric":
        names[0] = "r_um"
    rows = np.column_stack([x[:, :gdim] * 1e6, j, contact.astype(float)])
    folder.write_csv("interface.csv", [*names, "current_density_A_m2", "contact"], rows)
    if params.output.fields:
        write_fields(folder, sol.potential, sol.conductivity)
        for field in maps:  # microstructure and leakage maps
            write_field(folder, field)
    if params.output.plots:
        axi = params.geometry.dimension == "axisymmetric"
        if comm.rank == 0:
            plots.interface_profile(folder.path("interface_current.png"), x, j, contact, gdim,
                                    summary["mean_contact_current_density_A_m2"], axi)
        if gdim == 2:
            mid, mag = _cell_current(sol, sol.conductivity, comm)
            if comm.rank == 0:
                geom = params.geometry
                window = min(geom.electrolyte_thickness, 0.3 * geom.width)
                plots.current_field(folder.path("current_field.png"), mid, mag, window, axi)
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
    nodes = msh.geometry.dofmap[:ncells]
    triangles = msh.geometry.x[nodes][:, :, :2]
    triangles = comm.gather(triangles, root=0)
    values = comm.gather(mag.x.array[:ncells].copy(), root=0)
    if comm.rank != 0:
        return None, None
    return np.concatenate(triangles), np.concatenate(values)
