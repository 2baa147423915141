"""The largest stripping (or plating) depth one time step of the coupled model may apply to
the P2 Li mesh without folding the cells at the contact (issue 12 performance,
docs/moving_interface.md "Performance").

Why. ``LithiumBody.step`` first moves the touching nodes of the Li bottom (obstacle-facet
nodes within the touching height of the plane: vertices and mid-edge nodes) by
δ = Ω j Δt/F along the normal e (y, 3D: z), then solves the flow on the moved mesh. The
other nodes of a cell stay, so a cell whose touching nodes move too far folds (a negative
Jacobian determinant), the flow's Newton fails and the engine retries the step at half Δt.
On the strip benchmark every doubled Δt failed this way once the voids had closed (δ = 0.31
µm at the closed void tips, where the bottom cells are 0.52 µm high; δ/h = 0.39 and 0.6
failed, 0.3 passed).

Depth. Moving the touching nodes T of a cell by δ changes its Jacobian at a reference point p
by a rank-one term, J_p(δ) = J_p + δ e g_pᵀ with g_p = Σ_{i∈T} ∇N_i(p), so by the matrix
determinant lemma

    det J_p(δ) = det J_p + δ gᵀ_p adj(J_p) e,

linear in δ. The folding depth is the smallest δ of the step's sign at which det J_p(δ) = 0,
over the P2 nodes and the centroid of every cell with a touching node (the points where
``li_smoothing.cell_quality`` checks det J); cells already folded (det J_p ≤ 0 somewhere)
are left out. For a straight vertical edge of height h leaving the contact this is h/3: the
mid-edge node leaves the middle half of the edge. ``strip_limit`` returns ``fraction`` × the
depth; the coupled model caps Δt so that Ω max|ĵ| Δt/F stays below it, instead of trying a
doubled step and failing. The flow of the step moves the nodes further (it is not in the
bound); the engine's retries stay as they were. The interphase film's consumption of the Li
(``coupled_interphase``) lifts the touching nodes too, also at rest and under plating:
``step_limit`` bounds it with the current's.
"""

from __future__ import annotations

import basix
import numpy as np
from mpi4py import MPI

STRIP_FRACTION = 0.75  # of the folding depth (``folding_depth``): δ ≤ h/4 for straight edges


def _gradients(cell: basix.CellType) -> np.ndarray:
    """∇N_i of the P2 Lagrange basis (basix order, the geometry's node order) at its nodes
    and the centroid: shape (points, nodes, tdim)."""
    element = basix.create_element(basix.ElementFamily.P, cell, 2,
                                   basix.LagrangeVariant.gll_warped)
    centroid = np.mean(basix.geometry(cell), axis=0)
    points = np.vstack([element.points, centroid])
    table = element.tabulate(1, points)[1:, :, :, 0]  # (tdim, points, nodes)
    return np.moveaxis(table, 0, -1)


def folding_depth(x: np.ndarray, moved: np.ndarray, cell: basix.CellType, axis: int,
                  sign: float) -> float:
    """Smallest δ > 0 [m] (module docstring) for which moving the ``moved`` nodes of the P2
    cells by sign·δ along ``axis`` makes det J vanish at a node or the centroid of a cell;
    inf if none does. x: node coordinates per cell, shape (cells, nodes, gdim = tdim);
    moved: boolean, shape (cells, nodes); sign: +1 stripping (up), −1 plating."""
    grads = _gradients(cell)
    jac = np.einsum("cia,pib->cpab", x, grads)  # J_p = ∂x/∂ξ
    shift = np.einsum("ci,pib->cpb", moved.astype(float), grads)  # g_p
    det = np.linalg.det(jac)
    lifted = jac.copy()
    lifted[:, :, axis, :] += sign * shift  # J_p + e g_pᵀ (δ = 1 m: det is linear in δ)
    orientation = np.sign(det[:, -1:])  # of each cell, at its centroid
    slope = (np.linalg.det(lifted) - det) * orientation
    det = det * orientation
    valid = np.all(det > 0, axis=1) & np.any(moved, axis=1)
    det, slope = det[valid], slope[valid]
    falling = slope < 0
    return float(np.min(det[falling] / -slope[falling], initial=np.inf))


def strip_limit(body, touching: float, sign: float, fraction: float = STRIP_FRACTION) -> float:
    """``fraction`` × the folding depth of the Li mesh of ``body`` (a ``LithiumBody``) [m]
    when its obstacle nodes at height ≤ ``touching`` [m] move by sign·δ along the normal
    (``folding_depth``); inf on a P1 geometry. The same on every rank."""
    geo = body.msh.geometry
    depth = np.inf
    if geo.cmaps[0].degree == 2:
        cells = geo.dofmaps[0]
        near = np.zeros(geo.x.shape[0], dtype=bool)
        nodes = body._surface_nodes
        near[nodes[geo.x[nodes, body.up] <= touching]] = True
        mine = np.any(near[cells], axis=1)
        gdim = body.up + 1
        depth = folding_depth(geo.x[cells[mine]][:, :, :gdim], near[cells[mine]],
                              basix.CellType[body.msh.basix_cell().name], body.up, sign)
    return fraction * body.comm.allreduce(depth, op=MPI.MIN)


def step_limit(evo, film, applied: float, rate: float, dt: float) -> float:
    """Δt [s] of the coupled model ``evo`` capped so that no cell at the contact folds: the
    current's consumption ``rate`` [m/s] (Ω/F |c| max|j|) lowers the touching nodes when
    plating, lifts them when stripping, the film's (``film``, a ``coupled_interphase.
    FilmConsumption``; at rest too) lifts them, each way within ``strip_limit``; and once
    the Li did not follow (``evo.follow``, ``li_follow``), the current's and the film's
    consumption per step ≤ the contact tolerance t."""
    touching = evo.body.touching_height(evo.size)
    lifting = rate if applied > 0 else 0.0
    if rate > 0 and applied < 0:
        dt = min(dt, strip_limit(evo.body, touching, -1.0) / rate)
    if lifting > 0 or evo.interphase is not None:
        dt = film.bounded(dt, lifting, strip_limit(evo.body, touching, 1.0))
    if evo.follow:
        dt = film.bounded(dt, rate, evo.settings.contact_tolerance)
    return dt
