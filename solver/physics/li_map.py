"""The map of the coupled model's interface plane z = 0 of a 3D cell at one time, for the
interface picture (issue 12 item 5; ``solver.studies.interface_picture``,
docs/moving_interface.md "Interface picture").

At every interface node k of the electrolyte (x_k, y_k), from the engine's own state (the
data of ``interface.csv`` and of the timeseries):

* gap g_k [m]: the lowest height of the Li bottom above the node (``CoupledEvolution3D._gap``,
  each P2 triangle as its four straight sub-triangles), clipped at 0;
* in contact: g_k ≤ the contact tolerance t (``evolution.contact_tolerance_nm``);
* pore content h_k [m] of the cavity criterion (0 without it) and the contact share s_k [–]
  (``contact_share``: 1 − h_k/h_cover in contact, 0 out of it);
* the node's interface area w_k = ∫ φ_k dA [m²] (the engine's ``weights``), so that
  Σ w_k s_k / Σ w_k is the node-share contact fraction (first order in h);
* the run's contact fraction (``contact_fraction``: the sub-element contact area of the Li
  bottom, ``li_contact_area_3d``, the timeseries' column);
* contact pressure p_k [Pa]: the Li's contact reactions of its last step moved onto the
  electrolyte nodes by the conservative transfer (``contact_transfer_3d``, p_k = F_k/w_k: the
  pore law's λ_k, Σ p_k w_k = the Li's contact force); a node next to the contact takes the
  share of the reactions its hat covers, so p_k > 0 also at nodes just outside it; 0 before
  the first step (no Li flow solved yet, as in 2D);
* local current density j_k [A/m²]: the one solved on this contact (``with_current``).

The triangles are the electrolyte's interface triangles (``coupled_3d.interface_mesh``), the
mesh on which these nodal values are piecewise linear. Every rank returns the same arrays,
the nodes sorted by (x, y), so serial and ``mpirun -n 2`` give the same map.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lisse.solver.physics.coupled_3d import interface_mesh
from lisse.solver.physics.coupled_cavities import SubgridPores


@dataclass(frozen=True)
class InterfaceMap:
    """The interface plane at ``time`` [s] (module docstring): node coordinates ``x``, ``y``
    [m], ``gap`` [m], ``in_contact`` (bool), ``pores`` [m], ``share`` [–], ``area`` [m²],
    ``contact_pressure`` [Pa], ``triangles`` (rows of 3 node indices), the run's
    ``contact_fraction`` [–] and ``current_density`` [A/m²] (None until ``with_current``
    fills it)."""

    time: float
    x: np.ndarray
    y: np.ndarray
    gap: np.ndarray
    in_contact: np.ndarray
    pores: np.ndarray
    share: np.ndarray
    area: np.ndarray
    contact_pressure: np.ndarray
    triangles: np.ndarray
    contact_fraction: float
    current_density: np.ndarray | None = None


def _sorted(evo, order: np.ndarray, values) -> np.ndarray:
    """Every rank's ``values`` of its interface nodes, in the (x, y)-sorted order."""
    return np.concatenate(evo.comm.allgather(np.asarray(values, dtype=float)))[order]


def li_map(evo) -> InterfaceMap:
    """The map of the present interface of ``evo`` (a ``CoupledEvolution3D``), without the
    current density (collective)."""
    order, triangles = interface_mesh(evo)
    xy = np.concatenate(evo.comm.allgather(evo.x[:, :2]))[order]
    pressure = (np.zeros(len(evo.nodes)) if evo.last is None
                else SubgridPores.contact_pressure(evo))
    gap = _sorted(evo, order, evo.gap)
    return InterfaceMap(time=evo.time, x=xy[:, 0], y=xy[:, 1], gap=gap,
                        in_contact=gap <= evo.settings.contact_tolerance,
                        pores=_sorted(evo, order, evo.pores),
                        share=_sorted(evo, order, evo.contact_share()),
                        area=_sorted(evo, order, evo.weights),
                        contact_pressure=_sorted(evo, order, pressure), triangles=triangles,
                        contact_fraction=evo.contact_fraction())


def with_current(interface: InterfaceMap, evo, j: np.ndarray) -> InterfaceMap:
    """The map with the local current density ``j`` [A/m²] of the electrolyte's interface
    nodes (this rank's, in ``evo.nodes`` order; collective)."""
    order, _ = interface_mesh(evo)
    return replace(interface, current_density=_sorted(evo, order, j))
