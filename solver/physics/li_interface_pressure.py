"""The Li's hydrostatic pressure at the electrolyte's interface nodes, for the stress-coupled
kinetics of the coupled moving-interface model (``couple_stress``; issue 12,
docs/moving_interface.md).

p_h [Pa] is q, the pressure field of the Li flow (P1, ``LithiumBody``), at its nodes on the
plane (height ≤ ``touching_height``), gathered from every rank and interpolated onto the
interface nodes x_k by the engine's ``interface_interpolant``: in 2D piecewise linear along
x (``line_interpolant``, the end values beyond the last node), in 3D piecewise linear on the
Delaunay triangulation of the nodes in the plane (x, y) (``coupled_3d.plane_interpolant``,
the nearest node's value outside their hull). Where no Li pressure node is on the plane,
p_h is the stack pressure p (Δp = 0).

Across a smoothing. The engine takes Δp = p_h − p at the interface nodes (``stress_excess``)
at the end of each Li step, after the pocket closures and before the Li mesh smoothing
(``li_smoothing``, ``li_smoothing_3d``), which restarts the flow from rest (w = 0) for the next
Newton; the next step's kinetics use it (``couple_stress``). The smoothing moves nodes only,
not the Li, and p_h is sampled at the nodes' physical positions before they move, so the
next step sees the Δp of a run that did not smooth, exactly (no remap error, no extra
solve); the same holds across a remeshing (``li_remesh``, also a flow reset). Before the
first Li step the body holds no flow: Δp = 0 there.
"""

from __future__ import annotations

import numpy as np

from lisse.units import FARADAY, GAS_CONSTANT


def line_interpolant(points: np.ndarray, values: np.ndarray, size: float):
    """f(q) (q rows (x,) [m]): the piecewise-linear interpolant of ``values`` at ``points``
    (rows (x,) [m]) along x, the end values beyond them (``size`` unused: the signature of
    ``coupled_3d.plane_interpolant``)."""
    order = np.argsort(points[:, 0], kind="stable")
    xs, vs = points[order, 0], values[order]
    return lambda q: np.interp(np.asarray(q, dtype=float)[:, 0], xs, vs)


def interface_pressure(evo) -> np.ndarray:
    """p_h [Pa] at the interface nodes ``evo.x`` of the coupled engine ``evo`` (module
    docstring): q · stress_scale at the Li's P1 pressure nodes on the plane, interpolated
    over the plane coordinates (x in 2D, (x, y) in 3D)."""
    body, (space, dofs) = evo.body, evo._pressure_space
    up = body.up
    x = space.tabulate_dof_coordinates()[: space.dofmap.index_map.size_local]
    q = body.w.x.array[dofs][: len(x)] * body.stress_scale
    on = x[:, up] <= body.touching_height(evo.size)
    points = np.concatenate(evo.comm.allgather(x[on, :up]))
    values = np.concatenate(evo.comm.allgather(q[on]))
    if not values.size:
        return np.full(len(evo.x), evo.settings.stack_pressure)
    return evo.interface_interpolant(points, values, evo.size)(evo.x[:, :up])


def stress_excess(evo) -> np.ndarray:
    """Δp = p_h − p [Pa] at the interface nodes ``evo.x`` from the Li's present flow
    (``interface_pressure``; p the stack pressure): the engine's ``stress_excess`` after a
    Li step (module docstring, "Across a smoothing")."""
    return interface_pressure(evo) - evo.settings.stack_pressure


def couple_stress(evo) -> None:
    """Monroe–Newman coupling at the contact nodes of the coupled engine ``evo`` (as
    ``studies.hold.couple``): U = −Ω Δp/F, f_i0 = exp((1 − αa) Ω Δp/RT), Δp the engine's
    ``stress_excess`` [Pa] (p_h − p of the last Li step's flow, taken before a smoothing or
    remeshing reset that flow; 0 before the first Li step: module docstring)."""
    cd, params = evo.cd, evo.params
    excess = np.zeros(cd.n)
    excess[evo.nodes] = evo.stress_excess
    omega = params.electrode.molar_volume
    cd.set_interface(cd.interface.with_(
        shift=-omega * excess / FARADAY,
        i0_factor=np.exp((1 - params.working.alpha_a) * omega * excess
                         / (GAS_CONSTANT * params.temperature))))
