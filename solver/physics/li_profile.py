"""The profile of the coupled model's Li/electrolyte interface at one time, for the interface
picture (issue 12 item 5; ``solver.studies.interface_picture``, docs/moving_interface.md).

Along the interface coordinate x (r axisymmetric) of a 2D cell, at the sample points x_s =
the electrolyte's interface nodes and the end points of the straight halves of the Li's P2
bottom facets (contact and void-roof faces) within the electrolyte's extent:

* Li height h(x_s) = max(0, lowest y of the Li bottom above x_s) [m]: the same
  piecewise-linear surface (each P2 facet as two straight halves) and the same clipping as
  the model's gap (``li_surface.surface_height``), so linear interpolation between
  the samples is the model's own surface;
* electrolyte height: 0 (the electrolyte is rigid and flat, its top the plane y = 0);
* in contact: h(x_s) ≤ the contact tolerance t (``evolution.contact_tolerance_nm``);
* local current density j(x_s) [A/m²]: the electrolyte's nodal local current density (P1
  along the interface) interpolated linearly between its interface nodes; it is 0 at nodes
  out of contact and at rest.
* contact pressure p_c(x_s) [Pa]: the Li's nodal contact pressure of its last step
  (``CoupledEvolution.vertex_contact_pressure``) at its vertices in contact, linear between
  them, 0 at points out of contact; 0 before the first step (no Li flow solved yet).

Every rank returns the same arrays: the Li facets and the electrolyte nodes are gathered
(``allgather``) and sorted by x; sample points closer than ``MERGE`` × the body size are
merged, so serial and ``mpirun -n 2`` sample the same points up to round-off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lisse.solver.physics.coupled_interface import CoupledEvolution
from lisse.solver.physics.li_surface import surface_height

MERGE = 1e-8  # relative distance (of the body size) below which two sample points are one


@dataclass(frozen=True)
class InterfaceProfile:
    """The interface at ``time`` [s] sampled at ``x`` [m] (increasing; module docstring):
    ``li_height``, ``electrolyte_height`` [m], ``in_contact`` (bool) and
    ``current_density`` [A/m²] (None until ``with_current`` fills it), ``contact_pressure``
    [Pa]."""

    time: float
    x: np.ndarray
    li_height: np.ndarray
    electrolyte_height: np.ndarray
    in_contact: np.ndarray
    contact_pressure: np.ndarray
    current_density: np.ndarray | None = None


def _interface_nodes(evo: CoupledEvolution, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """(x, values) of the electrolyte's interface nodes of every rank, sorted by x."""
    xs = np.concatenate(evo.comm.allgather(evo.x[:, 0]))
    vs = np.concatenate(evo.comm.allgather(np.asarray(values, dtype=float)))
    order = np.argsort(xs, kind="stable")
    return xs[order], vs[order]


def li_profile(evo: CoupledEvolution) -> InterfaceProfile:
    """The profile of the present interface, without the current density (collective)."""
    segments = evo.bottom.segments()  # (x_a, y_a, x_b, y_b) of every rank
    nodes, _ = _interface_nodes(evo, np.zeros(len(evo.x)))
    points = np.concatenate([nodes, segments[:, 0], segments[:, 2]])
    points = np.sort(points[(points >= nodes[0]) & (points <= nodes[-1])])
    keep = np.concatenate([[True], np.diff(points) > MERGE * evo.size])
    x = points[keep]
    height = np.maximum(surface_height(segments, x, evo.size), 0.0)
    touching = height <= evo.settings.contact_tolerance
    return InterfaceProfile(time=evo.time, x=x, li_height=height,
                            electrolyte_height=np.zeros_like(x), in_contact=touching,
                            contact_pressure=np.where(touching, _pressure(evo, x), 0.0))


def _pressure(evo: CoupledEvolution, x: np.ndarray) -> np.ndarray:
    """The Li's nodal contact pressure [Pa] of its vertices in contact (every rank's owned
    vertices), interpolated linearly at ``x`` [m]; 0 if none is."""
    values = evo.vertex_contact_pressure()
    positions = evo.body.msh.geometry.x[evo._vertices, 0]
    on = values > 0
    xs = np.concatenate(evo.comm.allgather(positions[on]))
    ps = np.concatenate(evo.comm.allgather(values[on]))
    if xs.size == 0:
        return np.zeros_like(x)
    order = np.argsort(xs, kind="stable")
    return np.interp(x, xs[order], ps[order])


def with_current(profile: InterfaceProfile, evo: CoupledEvolution,
                 j: np.ndarray) -> InterfaceProfile:
    """The profile with the local current density ``j`` [A/m²] of the electrolyte's interface
    nodes (this rank's, in ``evo.nodes`` order) interpolated at its points (collective)."""
    xs, js = _interface_nodes(evo, j)
    return replace(profile, current_density=np.interp(profile.x, xs, js))
