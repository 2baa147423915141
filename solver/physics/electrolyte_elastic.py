"""The elastic electrolyte under the Li's contact pressure (``evolution.electrolyte_mechanics:
elastic``; issue 12, docs/moving_interface.md, "The electrolyte: rigid against elastic").

One-way coupling: the coupled interface model presses the Li on the rigid plane y = 0 (3D:
z = 0); this module loads the electrolyte with the Li's contact pressure and reports how far
the surface under the contact would deflect. Linear elasticity of the electrolyte domain
(its own mesh, ``solver.fem.domain.electrolyte_domain``; every elastic region with its own
E, ν, ``studies.hold.elastic_regions``), plane strain, axisymmetric (r, y) or 3D (x, y, z;
Mandel 6-vectors), the vertical axis y in 2D, z in 3D:

    ∫ σ(u) : ε(v) r dV = −∫_Γ p(x) v_vertical r dA,    σ = K tr ε I + 2G dev ε,

Γ the interface (tags contact and void_electrolyte, outward normal up), p(x) ≥ 0 the contact
pressure [Pa]; r = the radius (hoop strain u_r/r) in axisymmetric cells, else 1; areas per
radian. Supports as in the cell mechanics (``mechanics.supports``): bottom (counter face)
u_vertical = 0, lateral faces (3D: x = 0, w and y = 0, d) and axis u·n = 0. Strain, stress
and the stress maxima are the cell mechanics' (``mechanics_state.CellStress``); the linear
solver its AMG-CG (or LU for small problems, ``numerics``).

Outputs: the interface deflection w = −u_vertical [m] at the interface vertices (positive into
the electrolyte), the largest principal stress σ_1 [Pa] over the quadrature points, the
cell-wise (DG0) σ_1, von Mises stress and hydrostatic pressure −tr σ/3 [Pa], and the bottom
reaction (Σ of the vertical reactions of the counter dofs [N; per m or per radian in 2D]),
equal to the applied force ∫ p r dA at equilibrium.

In a coupled run (``ElectrolyteCoupling``) p is the conservative transfer of the Li's
contact reactions onto this mesh's interface vertices (``contact_transfer``, the pore law's
transfer too):

    R_v = Σ_{i ∈ A} R_i χ_v(x_i),    λ_h = Σ_v (R_v / W_v) χ_v,    W_v = ∫ χ_v r dx,
    p = Σ_k p_k φ_k,    p_k = F_k / w_k,    F_k = ∫ λ_h φ_k r dx,    w_k = ∫_Γ φ_k r ds,

R_i the Li's reactions at its active obstacle dofs A (a dof floating in the contact band adds
nothing), χ_v the P1 hat of Li bottom vertex v, φ_k that of interface vertex k here
(``weights``: w_k, assembled on this mesh). The hats sum to 1, so ∫_Γ p r dA = Σ_k p_k w_k =
Σ_{i ∈ A} R_i, the Li's contact force, to round-off, with no rescaling; a uniform contact
pressure comes out uniform. p is piecewise linear, held exactly by the ``pressure`` space
(Lagrange of the displacement's degree); the transfer is onto P1 hats, not the P2 basis,
whose axis vertex has ∫ ψ r ds = 0 (p_k undefined) and whose F_k can be negative. In 3D
cells the same transfer on the plane's triangles (``contact_transfer_3d``) loads the
electrolyte (``electrolyte_elastic_3d.ElectrolyteCoupling3D``). The Li and its contact do
not see the deflection (one-way).
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

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.config.params import Numerics
from lisse.solver.errors import SolverError
from lisse.solver.fem.domain import Domain, node_coordinates
from lisse.solver.fem.linear import displacement_amg_options, krylov_options, rigid_body_modes
from lisse.solver.physics.contact_transfer import transferred_pressure
from lisse.solver.physics.creep import LinearElastic, mandel_to_tensor, von_mises
from lisse.solver.physics.mechanics import fixed_component, supports
from lisse.solver.physics.mechanics_state import CellStress
from lisse.units import NM_PER_M, PA_PER_MPA

INTERFACE = (FACET_TAGS["contact"], FACET_TAGS["void_electrolyte"])
COLUMNS = [  # timeseries columns with the elastic electrolyte: (header, attribute, factor)
    ("max_principal_stress_sse_MPa", "max_principal_stress_sse", 1 / PA_PER_MPA),
    ("interface_deflection_range_nm", "interface_deflection_range", NM_PER_M),
]


@dataclass
class Response:
    """The electrolyte's response to one load (SI; forces per m or per radian in 2D).

    x, deflection: interface vertices (owned, coordinates (x, y)) and w = −u_vertical
    there [m]; max_principal: largest σ_1 [Pa]; applied_force: ∫ p r dA [N];
    bottom_reaction: Σ vertical reactions of the counter dofs [N] (= applied_force at
    equilibrium).
    """

    x: np.ndarray
    deflection: np.ndarray
    max_principal: float
    applied_force: float
    bottom_reaction: float


class ElasticElectrolyte(CellStress):
    """Linear elasticity of an electrolyte domain under a normal interface pressure.

    domain: the electrolyte's mesh with its facet and cell tags (``Domain``); regions: cell
    tag → elastic constants (every cell of the domain must have them); dimension: "plane",
    "axisymmetric" or "3d"; degree: polynomial degree of u."""

    _count = 0

    def __init__(self, domain: Domain, regions: dict[int, LinearElastic], dimension: str,
                 numerics: Numerics, degree: int = 2):
        if dimension not in ("plane", "axisymmetric", "3d"):
            raise ValueError(f"dimension must be plane, axisymmetric or 3d, not {dimension!r}")
        msh = domain.mesh
        self.msh, self.facet_tags, self.dimension = msh, domain.facet_tags, dimension
        self.domain, gdim = domain, msh.geometry.dim
        self.comm, self.ncomp, self.vertical = msh.comm, 6 if gdim == 3 else 4, gdim - 1
        self.regions = regions
        self.region_cells = {tag: domain.cell_tags.find(tag) for tag in regions}
        tdim = msh.topology.dim
        cells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
        if sum(c.size for c in self.region_cells.values()) != cells:
            raise SolverError("electrolyte mechanics: some electrolyte cells (a liquid?) have "
                              "no elastic constants")
        self.V = fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
        self.u = fem.Function(self.V, name="electrolyte_displacement_m")
        x = ufl.SpatialCoordinate(msh)
        self.r = x[0] if dimension == "axisymmetric" else 1.0
        qdeg = max(2 * (degree - 1), 1)
        self.qpoints, _ = basix.make_quadrature(basix.CellType[msh.topology.cell_name()], qdeg)
        dx = ufl.Measure("dx", domain=msh, subdomain_data=domain.cell_tags,
                         metadata={"quadrature_degree": qdeg})
        ds = ufl.Measure("ds", domain=msh, subdomain_data=self.facet_tags)
        self.pressure = fem.Function(fem.functionspace(msh, ("Lagrange", degree)))
        v, du = ufl.TestFunction(self.V), ufl.TrialFunction(self.V)
        a = sum(ufl.inner(self.elastic_stress(du, m), self.strain(v)) * self.r * dx(tag)
                for tag, m in regions.items())
        gamma = ds(INTERFACE[0]) + ds(INTERFACE[1])
        load = -self.pressure * v[self.vertical] * self.r * gamma
        self.a_form, self.L_form = fem.form(a), fem.form(load)
        self.force_form = fem.form(self.pressure * self.r * gamma)
        self.out_of_balance = fem.form(ufl.action(a, self.u) - load)
        self.bcs = supports(self.V, self.facet_tags)
        counter = self.facet_tags.find(FACET_TAGS["counter"])
        dofs = fixed_component(self.V, counter, self.vertical)[1]
        self.counter_dofs = dofs[dofs < self.V.dofmap.index_map.size_local * gdim]
        self.A = fem_petsc.assemble_matrix(self.a_form, bcs=self.bcs)
        self.A.assemble()
        ElasticElectrolyte._count += 1
        prefix = f"lisse_electrolyte_elastic_{ElasticElectrolyte._count}_"
        ndofs = self.V.dofmap.index_map.size_global * gdim
        opts = PETSc.Options()
        for key, value in krylov_options(prefix, numerics, ndofs, max_it=2000).items():
            opts[key] = value
        if opts.getString(f"{prefix}pc_type", "") == "gamg":
            for key, value in displacement_amg_options(prefix).items():
                opts[key] = value
            self.A.setNearNullSpace(rigid_body_modes(self.V))
        self.ksp = PETSc.KSP().create(self.comm)
        self.ksp.setOptionsPrefix(prefix)
        self.ksp.setOperators(self.A)
        self.ksp.setFromOptions()
        # interface vertices (owned) for the deflection
        self.P1 = fem.functionspace(msh, ("Lagrange", 1))
        facets = np.concatenate([self.facet_tags.find(t) for t in INTERFACE])
        nodes = fem.locate_dofs_topological(self.P1, tdim - 1, facets)
        self.nodes = nodes[nodes < self.P1.dofmap.index_map.size_local]
        self.x = node_coordinates(self.P1)[self.nodes, :2]  # the same bits on any partition
        hat = ufl.TestFunction(self.P1)
        weights = fem_petsc.assemble_vector(fem.form(hat * self.r * gamma))
        weights.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        self.weights = weights.array_r[self.nodes].copy()  # w_k = ∫_Γ φ_k r ds [m, m²/rad]
        weights.destroy()
        self.nodal = fem.Function(self.P1)  # p_k at the interface vertices, 0 elsewhere

    def solve(self, pressure) -> Response:
        """The response to the interface pressure ``pressure`` [Pa]: a callable of the
        coordinates (rows x, y, z; as ``Function.interpolate`` takes), a number, or a
        ``Function`` on this mesh."""
        if callable(pressure):
            self.pressure.interpolate(pressure)
        else:
            self.pressure.x.array[:] = float(pressure)
        b = fem_petsc.assemble_vector(self.L_form)
        fem_petsc.apply_lifting(b, [self.a_form], bcs=[self.bcs])
        b.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(b, self.bcs)
        self.ksp.solve(b, self.u.x.petsc_vec)
        if self.ksp.getConvergedReason() < 0:
            raise SolverError(f"electrolyte mechanics: linear solver failed (PETSc reason "
                              f"{self.ksp.getConvergedReason()})")
        self.u.x.scatter_forward()
        b.destroy()
        uy = fem.Function(self.P1)
        uy.interpolate(self.u.sub(self.vertical))
        residual = fem_petsc.assemble_vector(self.out_of_balance)
        residual.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        reaction = self.comm.allreduce(float(residual.array_r[self.counter_dofs].sum()))
        residual.destroy()
        return Response(self.x, -uy.x.array[self.nodes], self._max(self._max_principal_sse()),
                        self.applied_force(), reaction)

    def solve_nodal(self, values: np.ndarray) -> Response:
        """The response to p = Σ_k p_k φ_k, p_k ``values`` [Pa] at the owned interface
        vertices ``nodes`` (module docstring)."""
        self.nodal.x.array[:] = 0.0
        self.nodal.x.array[self.nodes] = values
        self.nodal.x.scatter_forward()
        return self.solve(self.nodal)

    def applied_force(self) -> float:
        """∫ p r dA of the present load [N; per m or per radian in 2D]."""
        return self.comm.allreduce(fem.assemble_scalar(self.force_form), op=MPI.SUM)

    def fields(self) -> dict[str, fem.Function]:
        """Cell-wise (DG0, at the cell centres) largest principal stress, von Mises stress
        and hydrostatic pressure −tr σ/3 [Pa] of the last solution, and its displacement."""
        msh = self.msh
        space = fem.functionspace(msh, ("DG", 0))
        names = ("electrolyte_max_principal_stress_Pa", "electrolyte_von_mises_Pa",
                 "electrolyte_hydrostatic_pressure_Pa")
        out = {name: fem.Function(space, name=name) for name in names}
        centre = basix.geometry(basix.CellType[msh.topology.cell_name()]).mean(axis=0)
        for tag, material in self.regions.items():
            cells = self.region_cells[tag]
            expr = fem.Expression(self.elastic_stress(self.u, material), centre[None, :])
            stress = expr.eval(msh, cells).reshape(-1, self.ncomp)
            out[names[0]].x.array[cells] = np.linalg.eigvalsh(mandel_to_tensor(stress))[:, -1]
            out[names[1]].x.array[cells] = von_mises(stress)
            out[names[2]].x.array[cells] = -stress[:, :3].sum(axis=1) / 3
        return out | {self.u.name: self.u}


class ElectrolyteCoupling:
    """The elastic electrolyte of a coupled evolution (one-way; module docstring): solved
    at every record and field snapshot of a new state, on the Li's last contact pressures."""

    def __init__(self, electrolyte: ElasticElectrolyte):
        self.electrolyte = electrolyte
        self.time, self.response = None, None

    def update(self, evo) -> Response:
        """The response to the contact of ``evo`` (a ``CoupledEvolution``) now: the Li's
        last reactions transferred onto the electrolyte's interface (module docstring; no
        load before the first Li step)."""
        if self.time == evo.time and self.response is not None:
            return self.response
        solver = self.electrolyte
        self.response = solver.solve_nodal(
            np.zeros(len(solver.nodes)) if evo.last is None else self.load(evo))
        self.time = evo.time
        return self.response

    def load(self, evo) -> np.ndarray:
        """p_k [Pa] at the electrolyte's owned interface vertices: the transfer of the Li's
        last reactions (``contact_transfer``)."""
        solver = self.electrolyte
        return transferred_pressure(evo.body, evo.comm, solver.x[:, 0], solver.weights)

    def deflection_at(self, evo, response: Response) -> np.ndarray:
        """w [m] of ``response`` at the engine's owned interface nodes ``evo.x`` (linear
        between the electrolyte's interface vertices)."""
        comm = evo.comm
        xs = np.concatenate(comm.allgather(response.x[:, 0]))
        ws = np.concatenate(comm.allgather(response.deflection))
        order = np.argsort(xs, kind="stable")
        return np.interp(evo.x[:, 0], xs[order], ws[order])

    def record(self, evo) -> dict:
        """The timeseries values (``COLUMNS``, SI): the largest σ_1 [Pa] and max w − min w
        over the interface nodes in contact (contact share > 0) [m]."""
        response = self.update(evo)
        comm = evo.comm
        w = self.deflection_at(evo, response)[evo.contact_share() > 0]
        top = comm.allreduce(float(np.max(w, initial=-np.inf)), op=MPI.MAX)
        low = comm.allreduce(float(np.min(w, initial=np.inf)), op=MPI.MIN)
        return {"max_principal_stress_sse": response.max_principal,
                "interface_deflection_range": top - low if top >= low else 0.0}

    def fields(self, evo) -> dict:
        """The stress fields (``ElasticElectrolyte.fields``) of the contact now."""
        self.update(evo)
        return self.electrolyte.fields()
