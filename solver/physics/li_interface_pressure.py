"""The Li's hydrostatic pressure at the electrolyte's interface nodes, for the stress-coupled
kinetics of the coupled moving-interface model (``couple_stress``; issue 12,
docs/moving_interface.md).

p_h [Pa] is q, the pressure field of the Li flow (P1, ``LithiumBody``), at its nodes on the
plane (height ≤ ``touching_height``), gathered from every rank and interpolated onto the
interface nodes x_k by the engine's ``pressure_interpolant``: in 2D piecewise linear along
x (``line_interpolant``, the end values beyond the last node), in 3D piecewise linear on the
Delaunay triangulation of the nodes in the plane (x, y) (``coupled_3d.plane_interpolant``,
the nearest node's value outside their hull). Where no Li pressure node is on the plane,
p_h is the stack pressure p (Δp = 0).
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

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
    return evo.pressure_interpolant(points, values, evo.size)(evo.x[:, :up])


def couple_stress(evo) -> None:
    """Monroe–Newman coupling at the contact nodes of the coupled engine ``evo`` (as
    ``studies.hold.couple``): U = −Ω Δp/F, f_i0 = exp((1 − αa) Ω Δp/RT), Δp = p_h − p with p_h
    the Li's hydrostatic pressure at the interface nodes (``interface_pressure``), p the
    stack pressure; Δp = 0 while the body holds no flow: before the first Li step, and after
    a Li mesh smoothing, which restarts the flow from rest (w = 0, so q = 0: without this
    guard Δp = −p at every node for the next step)."""
    cd, params = evo.cd, evo.params
    excess = np.zeros(cd.n)
    if evo.comm.allreduce(bool(evo.body.w.x.array.any()), op=MPI.LOR):
        excess[evo.nodes] = interface_pressure(evo) - evo.settings.stack_pressure
    omega = params.electrode.molar_volume
    cd.set_interface(cd.interface.with_(
        shift=-omega * excess / FARADAY,
        i0_factor=np.exp((1 - params.working.alpha_a) * omega * excess
                         / (GAS_CONSTANT * params.temperature))))
