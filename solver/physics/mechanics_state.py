"""Kinematics and observables of the cell mechanics (``solver.physics.mechanics``).

Strain and stress are Mandel vectors: (ε_xx, ε_yy, ε_zz, √2 ε_xy) in 2D, the third
component being the hoop strain u_r/r in axisymmetric cells and zero in plane strain, and
(ε_xx, ε_yy, ε_zz, √2 ε_xy, √2 ε_xz, √2 ε_yz) in 3D. An elastic region has
σ = K tr ε I + 2G dev ε.

The state of a cell after a step (``MechanicsState``): the bonded contact area A_b (the
interior contact facets), the closed area A_c (the footprint |n_z| dA of the Li void roof
where the gap g = Z + u_z ≤ ``CLOSED_GAP``), the contact fraction (A_b + A_c) / A with A
the interface area (contact + void floor), the mean contact pressure p·A_collector /
(A_b + A_c) by vertical equilibrium, nodal interface values by a lumped L² projection
(∫ f v_i r dA / ∫ v_i r dA at each vertex), and the largest Li von Mises stress and
electrolyte principal stress at quadrature points. Axisymmetric areas are per radian.
"""

from __future__ import annotations

from dataclasses import dataclass

import basix
import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS
from lisse.solver.physics.creep import LinearElastic, identity, mandel_to_tensor, von_mises
from lisse.units import NM_PER_M

CLOSED_GAP = 1 / NM_PER_M  # 1 nm: a roof closer than this to the electrolyte counts as contact


@dataclass
class MechanicsState:
    """The mechanical state after a step (SI units; axisymmetric areas per radian).

    Interface data are for the owned nodes of this rank (vertices of the mesh):
    roof_*: nodes on the Li void surfaces ("void_lithium"): coordinates, gap g = Z + u_z [m]
        (≤ 0 where the roof touches the electrolyte), contact pressure k_c⟨−g⟩ [Pa] and Li
        hydrostatic pressure [Pa];
    contact_*: nodes of the bonded contact: coordinates, normal pressure −σ_zz [Pa] and the
        Li hydrostatic pressure −tr σ/3 [Pa] (both from the Li side).
    contact_fraction: (bonded contact + closed roof footprint) / interface area.
    """

    time: float
    displacement: fem.Function
    collector_displacement: float
    interface_area: float
    bonded_area: float
    closed_area: float
    roof_x: np.ndarray
    roof_gap: np.ndarray
    roof_pressure: np.ndarray
    roof_li_pressure: np.ndarray
    contact_x: np.ndarray
    contact_pressure: np.ndarray
    contact_li_pressure: np.ndarray
    max_von_mises_li: float
    max_principal_stress_sse: float
    load: float  # total force p·A carried by the cell [N] (per m or per radian in 2D)

    @property
    def mean_contact_pressure(self) -> float:
        """Mean normal pressure over the touching area [Pa]: by vertical equilibrium the
        load divided by (bonded + closed) area."""
        return self.load / (self.bonded_area + self.closed_area)

    @property
    def contact_fraction(self) -> float:
        return (self.bonded_area + self.closed_area) / self.interface_area


class CellStress:
    """Kinematics and observables of a cell's displacement problem: the base class of
    ``solver.physics.mechanics.Mechanics``, which sets the attributes used here (msh,
    facet_tags, dimension, comm, ncomp, vertical, r, dx, ds, u, U, gap, k_c, area,
    reference_force, time, electrolyte, regions, region_cells, lithium, li_cells, li_qdofs,
    qpoints, stress_q)."""

    # -- kinematics and elasticity (UFL) ------------------------------------------------
    def strain(self, w):
        """Mandel strain vector of a displacement (hoop strain u_r/r if axisymmetric)."""
        e = ufl.sym(ufl.grad(w))
        s2 = np.sqrt(2.0)
        if self.ncomp == 6:
            return ufl.as_vector(
                [e[0, 0], e[1, 1], e[2, 2], s2 * e[0, 1], s2 * e[0, 2], s2 * e[1, 2]]
            )
        hoop = w[0] / self.r if self.dimension == "axisymmetric" else 0.0
        return ufl.as_vector([e[0, 0], e[1, 1], hoop, s2 * e[0, 1]])

    def elastic_stress(self, w, material: LinearElastic | None = None):
        """Mandel stress K tr ε I + 2G dev ε of an elastic region (default: the
        electrolyte)."""
        el = material or self.electrolyte
        e = self.strain(w)
        one = ufl.as_vector(identity(self.ncomp))
        tr = trace(e)
        return el.bulk_modulus * tr * one + 2 * el.shear_modulus * (e - tr / 3 * one)

    def _integrate(self, integrand) -> float:
        return self.comm.allreduce(fem.assemble_scalar(fem.form(integrand)), op=MPI.SUM)

    # -- observables --------------------------------------------------------------------
    def state(self) -> MechanicsState:
        """Interface data, contact fraction and stress maxima of the current state."""
        msh, z, r, ds = self.msh, self.vertical, self.r, self.ds
        n = ufl.FacetNormal(msh)
        closed = ufl.conditional(ufl.le(self.gap, CLOSED_GAP), 1.0, 0.0)
        closed_area = self._integrate(closed * abs(n[z]) * r * ds(FACET_TAGS["void_lithium"]))
        # nodal values on the P1 space of the vertices
        P1 = fem.functionspace(msh, ("Lagrange", 1))
        u1 = fem.Function(fem.functionspace(msh, ("Lagrange", 1, (msh.geometry.dim,))))
        u1.interpolate(self.u)
        fdim = msh.topology.dim - 1
        nown = P1.dofmap.index_map.size_local
        xs = P1.tabulate_dof_coordinates()

        def nodes(name):
            dofs = fem.locate_dofs_topological(P1, fdim, self.facet_tags.find(FACET_TAGS[name]))
            return dofs[dofs < nown]

        roof = nodes("void_lithium")
        gap = xs[roof, z] + u1.x.array.reshape(-1, msh.geometry.dim)[roof, z]
        contact = np.setdiff1d(nodes("contact"), roof)
        stress = self.stress_q
        normal_pressure = self._li_nodal(P1, -stress[z])
        li_pressure = self._li_nodal(P1, -(stress[0] + stress[1] + stress[2]) / 3)
        return MechanicsState(
            time=self.time,
            displacement=self.u,
            collector_displacement=self.U,
            interface_area=self.area["contact"] + self.area["void_electrolyte"],
            bonded_area=self.area["contact"],
            closed_area=closed_area,
            roof_x=xs[roof],
            roof_gap=gap,
            roof_pressure=self._nodal(
                P1, self.k_c * ufl.max_value(-self.gap, 0.0), ds(FACET_TAGS["void_lithium"])
            )[roof],
            roof_li_pressure=li_pressure[roof],
            contact_x=xs[contact],
            contact_pressure=normal_pressure[contact],
            contact_li_pressure=li_pressure[contact],
            max_von_mises_li=self._max(von_mises(self._li_stress())),
            max_principal_stress_sse=self._max(self._max_principal_sse()),
            load=self.reference_force,
        )

    def cell_fields(self) -> list[fem.Function]:
        """Cell-wise (DG0) von Mises stress [Pa], hydrostatic pressure −tr σ/3 [Pa] and
        accumulated creep strain: quadrature averages in the Li, cell centres elsewhere."""
        msh = self.msh
        space = fem.functionspace(msh, ("DG", 0))
        names = ("von_mises_Pa", "hydrostatic_pressure_Pa", "creep_strain")
        fields = [fem.Function(space, name=n) for n in names]
        centre = basix.geometry(basix.CellType[msh.topology.cell_name()]).mean(axis=0)
        for tag, material in self.regions.items():
            cells = self.region_cells[tag]
            expr = fem.Expression(self.elastic_stress(self.u, material), centre[None, :])
            stress = expr.eval(msh, cells).reshape(-1, self.ncomp)
            fields[0].x.array[cells] = von_mises(stress)
            fields[1].x.array[cells] = -stress[:, :3].sum(axis=1) / 3
        nq = self.qpoints.shape[0]
        stress = self.stress_q.x.array.reshape(-1, self.ncomp)[self.li_qdofs]
        per_cell = stress.reshape(-1, nq, self.ncomp).mean(axis=1)
        fields[0].x.array[self.li_cells] = von_mises(per_cell)
        fields[1].x.array[self.li_cells] = -per_cell[:, :3].sum(axis=1) / 3
        fields[2].x.array[self.li_cells] = self.lithium.creep_strain().reshape(-1, nq).mean(axis=1)
        for f in fields:
            f.x.scatter_forward()
        return fields

    def _li_nodal(self, P1, value) -> np.ndarray:
        """Lumped L² projection of a Li quadrature quantity onto the vertices."""
        return self._nodal(P1, value, self.dx(CELL_TAGS["lithium"]))

    def _nodal(self, P1, value, measure) -> np.ndarray:
        v = ufl.TestFunction(P1)
        vecs = []
        for f in (value * v * self.r * measure, v * self.r * measure):
            b = fem_petsc.assemble_vector(fem.form(f))
            b.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
            vecs.append(b.array_r.copy())
        num, den = vecs
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def _owned(self, cells: np.ndarray) -> np.ndarray:
        nown = self.msh.topology.index_map(self.msh.topology.dim).size_local
        return cells < nown

    def _li_stress(self) -> np.ndarray:
        """Stress at the quadrature points of the owned Li cells, (m, ncomp)."""
        nq = self.qpoints.shape[0]
        own = np.repeat(self._owned(self.li_cells), nq)
        return self.stress_q.x.array.reshape(-1, self.ncomp)[self.li_qdofs[own]]

    def _max_principal_sse(self) -> np.ndarray:
        """Largest principal stress at the quadrature points of the owned elastic cells."""
        values = [np.zeros(0)]
        for tag, material in self.regions.items():
            cells = self.region_cells[tag][self._owned(self.region_cells[tag])]
            expr = fem.Expression(self.elastic_stress(self.u, material), self.qpoints)
            stress = expr.eval(self.msh, cells).reshape(-1, self.ncomp)
            values.append(np.linalg.eigvalsh(mandel_to_tensor(stress))[:, -1])
        return np.concatenate(values)

    def _max(self, values: np.ndarray) -> float:
        local = float(values.max()) if values.size else -np.inf
        return self.comm.allreduce(local, op=MPI.MAX)


def trace(e):
    """Trace of a Mandel strain/stress vector."""
    return e[0] + e[1] + e[2]
