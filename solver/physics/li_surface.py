"""The Li's boundary in a 2D coupled run (``coupled_interface``): the P2 facets of its bottom
(contact and void roof) or top (collector) face, the exact volume weights of their nodes, and
the height of the piecewise-linear bottom above points of the interface plane (the gap)."""

from __future__ import annotations

import numpy as np
from dolfinx import mesh as dmesh
from mpi4py import MPI

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.errors import SolverError
from lisse.solver.physics.lithium_body import LithiumBody

OBSTACLE = (FACET_TAGS["contact"], FACET_TAGS["void_lithium"])  # the Li bottom's facet tags

# Gauss–Legendre on [0, 1], 4 points: exact for the degree-5 integrands of the weights
_XI = 0.5 * (1 + np.polynomial.legendre.leggauss(4)[0])
_GW = 0.5 * np.polynomial.legendre.leggauss(4)[1]


def projection_weights(x: np.ndarray, nodes: np.ndarray, axisymmetric: bool) -> np.ndarray:
    """W_i = ∫ φ_i r^k dx [m or m²] over the horizontal projection of the P2 facets
    ``nodes`` (rows vertex a, vertex b, mid node m) at every node of ``x`` (the nodes'
    abscissae [m]): ``Surface.weights``."""
    a, b, m = (x[nodes[:, k]] for k in range(3))
    xi = _XI[:, None]
    shape = ((1 - xi) * (1 - 2 * xi), xi * (2 * xi - 1), 4 * xi * (1 - xi))
    position = a * shape[0] + b * shape[1] + m * shape[2]
    slope = a * (4 * xi - 3) + b * (4 * xi - 1) + m * (4 - 8 * xi)
    radius = position if axisymmetric else 1.0
    w = np.zeros(len(x))
    for k in range(3):
        integral = _GW @ (shape[k] * radius * slope)
        np.add.at(w, nodes[:, k], np.abs(integral) * np.sign(integral * (b - a)))
    return w


class Surface:
    """P2 boundary facets of the Li with some tags (owned facets): their geometry nodes
    (vertex a, vertex b, mid-edge m), and integrals over their horizontal projection."""

    def __init__(self, body: LithiumBody, tags: tuple[int, ...]):
        msh = body.msh
        owned = msh.topology.index_map(1).size_local
        facets = np.concatenate([body.tags.find(t) for t in tags]).astype(np.int32)
        facets = facets[facets < owned]
        self.body = body
        self.nodes = dmesh.entities_to_geometry(msh, 1, facets).reshape(-1, 3)

    def weights(self) -> np.ndarray:
        """W_i = ∫ φ_i r^k dx over the projection of the facets (φ_i the quadratic shape
        functions along each facet), at every geometry node (local + ghost; this rank's
        facets only): Σ_i W_i δ_i is the exact volume change when the nodes move vertically
        by δ_i (the volume −∮ y r^k dx is linear in the heights at fixed x)."""
        return projection_weights(self.body.msh.geometry.x[:, 0], self.nodes,
                                  self.body.axisymmetric)

    def segments(self) -> np.ndarray:
        """(x_a, y_a, x_b, y_b) of the two straight halves a–m, m–b of every facet of every
        rank."""
        x = self.body.msh.geometry.x[:, :2]
        a, b, m = (x[self.nodes[:, k]] for k in range(3))
        own = np.concatenate([np.column_stack([a, m]), np.column_stack([m, b])])
        return np.concatenate(self.body.comm.allgather(own)).reshape(-1, 4)

    def mean_height(self) -> float:
        """Projected-area mean of y over the facets."""
        comm, w = self.body.comm, self.weights()
        y = self.body.msh.geometry.x[:, 1]
        return comm.allreduce(float(w @ y), op=MPI.SUM) / comm.allreduce(float(w.sum()))


def surface_height(segments: np.ndarray, points: np.ndarray, size: float) -> np.ndarray:
    """Lowest height y of the piecewise-linear curve ``segments`` (rows x_a, y_a, x_b, y_b)
    above each of ``points`` (x) [m]; SolverError if a point is not under the curve."""
    xa, ya, xb, yb = (segments[:, k][None, :] for k in range(4))
    q = points[:, None]
    eps = 1e-12 * size
    inside = (q >= np.minimum(xa, xb) - eps) & (q <= np.maximum(xa, xb) + eps)
    span = xb - xa
    t = np.clip(np.divide(q - xa, span, out=np.zeros(inside.shape), where=span != 0), 0, 1)
    y = np.where(span != 0, ya + t * (yb - ya), np.minimum(ya, yb))
    height = np.where(inside, y, np.inf).min(axis=1, initial=np.inf)
    if not np.all(np.isfinite(height)):
        raise SolverError("the Li surface no longer covers the interface plane")
    return height
