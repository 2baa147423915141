"""The elastic electrolyte of a coupled evolution in 3D cells (``evolution.electrolyte_mechanics:
elastic``, issue 12): ``electrolyte_elastic.ElectrolyteCoupling`` with the load and the
deflection read on the interface plane z = 0.

The electrolyte (``electrolyte_elastic.ElasticElectrolyte`` with dimension "3d": P2
displacement u = (u_x, u_y, u_z), Mandel 6-vectors, load −p v_z on the interface, counter
face u_z = 0, the lateral faces x = 0, w and y = 0, d on rollers u·n = 0 as in the cell
mechanics, ``mechanics.supports``) is loaded by the 3D transfer of the Li's contact
reactions (``contact_transfer_3d``: vertex hats on the Li's projected bottom triangles,
then the exact supermesh mortar onto the electrolyte's interface P1 hats φ_k):

    p_k = F_k / w_k,   F_k = ∫ λ_h φ_k dA,   w_k = ∫_Γ φ_k dA   [Pa, N, m²],

so Σ_k p_k w_k = ∫_Γ p dA = Σ_{i ∈ A} R_i, the Li's contact force, to round-off; the pore
law's λ_k (``coupled_cavities.SubgridPores.contact_pressure``) are the same p_k on the
engine's nodes. The deflection w = −u_z at the interface vertices is matched to the
engine's interface nodes by position (the same vertices of the same mesh).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from lisse.solver.errors import SolverError
from lisse.solver.physics.contact_transfer_3d import interface_triangles, li_load, transfer
from lisse.solver.physics.electrolyte_elastic import ElectrolyteCoupling, Response


class ElectrolyteCoupling3D(ElectrolyteCoupling):
    """``ElectrolyteCoupling`` of a ``coupled_3d.CoupledEvolution3D`` (module docstring)."""

    def load(self, evo) -> np.ndarray:
        """p_k [Pa] at the electrolyte's owned interface vertices from the Li's last step
        (``contact_transfer_3d.transfer``)."""
        solver = self.electrolyte
        electrolyte = (solver.x, solver.weights, interface_triangles(solver.domain))
        return transfer(evo.comm, li_load(evo.body, evo.bottom), electrolyte, evo.size)

    def deflection_at(self, evo, response: Response) -> np.ndarray:
        """w [m] of ``response`` at the engine's owned interface nodes: the value of the
        electrolyte vertex at the same (x, y) (SolverError if there is none)."""
        comm = evo.comm
        xs = np.concatenate(comm.allgather(response.x))
        ws = np.concatenate(comm.allgather(response.deflection))
        distance, index = cKDTree(xs).query(evo.x[:, :2])
        if np.any(distance > 1e-9 * evo.size):
            raise SolverError("an interface node is not an elastic electrolyte vertex")
        return ws[index]
