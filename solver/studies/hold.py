"""The stack-pressure hold of a run (``mechanics:`` section) and its coupling to the current.

``run_hold`` builds the mechanics of the full cell from the resolved parameters, applies the
stack pressure (instantaneous elastic response at t = 0) and lets the Li creep for the
hold, with steps growing geometrically. ``couple`` hands the result to the current
distribution (one-way: the current does not change the stress in a steady run):

* contact: electrolyte nodes under a void roof that has crept down onto the electrolyte
  (gap ≤ 1 nm at the nearest roof node) become contact;
* stress coupling (if on): at each contact node the Li hydrostatic pressure p, relative to
  the stack pressure p_s (the pressure of the counter electrode, Li under the same stack
  pressure, relaxed to hydrostatic), shifts the equilibrium potential by
  U = −Ω (p − p_s) / F and multiplies i0 by exp((1 − αa) Ω (p − p_s) / RT)
  (docs/theory.md, "Stress-coupled kinetics").

``summary`` and ``write`` add the mechanical observables and outputs to the run folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lisse.meshes.geometry import CELL_TAGS
from lisse.solver.config.params import FARADAY, GAS_CONSTANT, Resolved
from lisse.solver.physics.creep import Constitutive, LinearElastic, PowerLawCreep
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.mechanics import CLOSED_GAP, Mechanics, MechanicsState
from lisse.units import PA_PER_MPA, UM_PER_M


@dataclass
class Hold:
    """A finished pressure hold: the solver, its final state and the history (one row per
    step: time [s], contact fraction, collector displacement [m], max von Mises in Li [Pa])."""

    mechanics: Mechanics
    state: MechanicsState
    history: list[tuple[float, float, float, float]] = field(default_factory=list)
    newton_iterations: int = 0


def lithium_creep(params: Resolved) -> PowerLawCreep:
    """The electrode's elastic–power-law creep model at the case temperature."""
    li = params.electrode
    return PowerLawCreep(
        li.youngs_modulus,
        li.poisson_ratio,
        li.creep_prefactor,
        li.creep_activation_energy,
        li.creep_reference_stress,
        li.creep_stress_exponent,
        params.temperature,
    )


def materials(params: Resolved) -> tuple[Constitutive, dict[int, LinearElastic]]:
    """The Li model and the elastic regions (electrolyte, grain-boundary band, interlayer)."""
    li = params.electrode
    if params.mechanics.li_model == "power_law_creep":
        lithium = lithium_creep(params)
    else:
        lithium = LinearElastic(li.youngs_modulus, li.poisson_ratio)
    return lithium, elastic_regions(params)


def elastic_regions(params: Resolved) -> dict[int, LinearElastic]:
    """Cell tag → elastic constants of the electrolyte, grain-boundary band, interlayer."""
    el = params.electrolyte
    regions = {CELL_TAGS["electrolyte"]: LinearElastic(el.youngs_modulus, el.poisson_ratio)}
    ms = params.microstructure
    for name, region in (
        ("grain_boundary", ms and ms.grain_boundary),
        ("interlayer", ms and ms.interlayer),
    ):
        if region:
            regions[CELL_TAGS[name]] = LinearElastic(region.youngs_modulus, el.poisson_ratio)
    return regions


def hold_times(params: Resolved) -> np.ndarray:
    """End times [s] of the creep steps: geometric from first_step to duration."""
    m = params.mechanics
    if m.duration <= 0 or m.li_model == "elastic":
        return np.zeros(0)
    if m.time_steps == 1:
        return np.array([m.duration])
    return np.geomspace(m.first_step, m.duration, m.time_steps)


def cell_mechanics(params: Resolved, data, pressure: float | None = None,
                   lithium: Constitutive | None = None, loading: str | None = None,
                   degree: int | None = None, penalty: float | None = None) -> Mechanics:
    """The mechanics of the full cell (mesh ``data``) with the case's materials; the
    arguments replace the mechanics section's stack pressure, Li model, loading, degree
    and contact penalty (defaults: the section's, or the defaults of MechanicsSettings)."""
    from lisse.solver.config.params import MechanicsSettings

    m = params.mechanics or MechanicsSettings()
    return Mechanics(
        data.mesh,
        data.cell_tags,
        data.facet_tags,
        params.geometry.dimension,
        lithium or materials(params)[0],
        elastic_regions(params),
        loading or m.loading,
        m.stack_pressure if pressure is None else pressure,
        params.numerics,
        degree=degree or m.element_degree,
        penalty=penalty or m.contact_penalty,
    )


def run_hold(params: Resolved, data, comm, say=None) -> Hold:
    """Hold the stack pressure on the cell (mesh ``data``); ``say(text)`` reports
    progress (rank 0)."""
    mech = cell_mechanics(params, data)
    its = mech.step(0.0)
    state = mech.state()
    hold = Hold(mech, state, [_row(state)], its)
    for t in hold_times(params):
        hold.newton_iterations += mech.step(t - mech.time)
        hold.state = mech.state()
        hold.history.append(_row(hold.state))
        if say is not None:
            say(f"  mechanics t = {t:.3g} s: contact fraction {hold.state.contact_fraction:.4f}")
    return hold


def _row(state: MechanicsState) -> tuple[float, float, float, float]:
    return (
        state.time,
        state.contact_fraction,
        state.collector_displacement,
        state.max_von_mises_li,
    )


def _gather(comm, *arrays):
    return [np.concatenate(comm.allgather(a)) for a in arrays]


def couple(cd: CurrentDistribution, hold: Hold, params: Resolved) -> None:
    """Write the hold into the current distribution's interface state: contact where a
    void roof crept shut and (if on) the stress coupling, node by node."""
    comm, s = cd.comm, hold.state
    gdim = params.geometry.gdim
    lateral = slice(0, gdim - 1)
    x = cd.space.tabulate_dof_coordinates()[: cd.n]
    plane = cd.interface_nodes
    roof_x, roof_gap, roof_p = _gather(comm, s.roof_x, s.roof_gap, s.roof_li_pressure)
    contact_x, contact_p = _gather(comm, s.contact_x, s.contact_li_pressure)
    fraction = cd.interface.contact.copy()
    pressure = np.zeros(cd.n)
    if roof_x.size:
        nearest = _nearest(x[plane, lateral], roof_x[:, lateral])
        closed = roof_gap[nearest] <= CLOSED_GAP
        fraction[plane[closed]] = 1.0
        pressure[plane[closed]] = roof_p[nearest[closed]]
    if contact_x.size:  # bonded nodes: the Li pressure at the same node (to round-off)
        nearest = _nearest(x[plane], contact_x)
        same = np.linalg.norm(x[plane] - contact_x[nearest], axis=1) < 1e-12
        pressure[plane[same]] = contact_p[nearest[same]]
    state = cd.interface.with_(contact=fraction)
    if params.mechanics.stress_coupling:
        omega = params.electrode.molar_volume
        excess = np.where(fraction > 0, pressure - params.mechanics.stack_pressure, 0.0)
        state = state.with_(
            shift=-omega * excess / FARADAY,
            i0_factor=np.exp((1 - params.working.alpha_a) * omega * excess
                             / (GAS_CONSTANT * params.temperature)))
    cd.set_interface(state)


def _nearest(points: np.ndarray, targets: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Index of the nearest target of each point (brute force in chunks)."""
    out = np.empty(len(points), dtype=np.int64)
    for start in range(0, len(points), chunk):
        d = points[start : start + chunk, None, :] - targets[None, :, :]
        out[start : start + chunk] = np.argmin(np.einsum("ijk,ijk->ij", d, d), axis=1)
    return out


def summary(hold: Hold) -> dict:
    """Mechanical observables for ``summary.json`` (MPa, µm)."""
    s = hold.state
    return {
        "stack_pressure_MPa": hold.mechanics.pressure / PA_PER_MPA,
        "mechanics_hold_s": s.time,
        "contact_fraction_mechanical": s.contact_fraction,
        "mean_contact_pressure_MPa": s.mean_contact_pressure / PA_PER_MPA,
        "max_von_mises_li_MPa": s.max_von_mises_li / PA_PER_MPA,
        "max_principal_stress_sse_MPa": s.max_principal_stress_sse / PA_PER_MPA,
        "collector_displacement_um": s.collector_displacement * UM_PER_M,
        "mechanics_unknowns": hold.mechanics.ndofs,
        "mechanics_newton_iterations": hold.newton_iterations,
    }


def interface_table(hold: Hold, comm, gdim: int) -> tuple[list[str], np.ndarray]:
    """Interface nodes (gathered, sorted): lateral position [µm], roof flag, gap [µm],
    normal contact pressure [MPa] and Li hydrostatic pressure [MPa]."""
    s = hold.state
    x, gap, pn, pli, roof = _gather(
        comm,
        np.concatenate([s.contact_x, s.roof_x]),
        np.concatenate([np.zeros(len(s.contact_x)), s.roof_gap]),
        np.concatenate([s.contact_pressure, s.roof_pressure]),
        np.concatenate([s.contact_li_pressure, s.roof_li_pressure]),
        np.concatenate([np.zeros(len(s.contact_x)), np.ones(len(s.roof_x))]),
    )
    names = ["x_um", "y_um"][: gdim - 1]
    rows = np.column_stack([x[:, : gdim - 1] * UM_PER_M, roof, gap * UM_PER_M,
                            pn / PA_PER_MPA, pli / PA_PER_MPA])
    order = np.lexsort(tuple(rows[:, k] for k in reversed(range(gdim - 1))))
    header = [*names, "roof", "gap_um", "contact_pressure_MPa", "li_pressure_MPa"]
    return header, rows[order]


def write(folder, hold: Hold, params: Resolved, comm) -> None:
    """Tables and plots of the hold into the run folder (its fields go to ``fields.xdmf``:
    lisse.solver.io.runfolder.write_fields)."""
    history = np.array(hold.history)
    history[:, 2] *= UM_PER_M
    history[:, 3] /= PA_PER_MPA
    folder.write_csv(
        "mechanics_history.csv",
        ["time_s", "contact_fraction", "collector_displacement_um", "max_von_mises_li_MPa"],
        history,
    )
    gdim = params.geometry.gdim
    header, rows = interface_table(hold, comm, gdim)
    if params.geometry.dimension == "axisymmetric":
        header[0] = "r_um"
    folder.write_csv("interface_mechanics.csv", header, rows)
    mech = hold.mechanics
    if params.output.plots:
        from lisse.solver.io import mechanics_plots

        field = mechanics_plots.gather_cells(mech, comm) if gdim == 2 else None
        if comm.rank == 0:
            mechanics_plots.interface_pressure(
                folder.path("contact_pressure.png"),
                rows,
                gdim,
                params.mechanics.stack_pressure / PA_PER_MPA,
                params.output.figure_formats,
            )
            mechanics_plots.history(
                folder.path("contact_fraction.png"), history, params.output.figure_formats
            )
            if field is not None:
                window = max((v.height for v in params.geometry.voids), default=0.0)
                window = min(
                    params.geometry.lithium_thickness, 4 * window or 0.3 * (params.geometry.width)
                )
                mechanics_plots.stress_field(
                    folder.path("stress_field.png"),
                    *field,
                    window,
                    params.geometry.dimension == "axisymmetric",
                    params.output.figure_formats,
                )
