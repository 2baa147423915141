"""Steady power-law creep flow of the Li over a debonded patch (the Li-flow part of the
debonded-patch study, ``solver.physics.patch_flow``; docs/patch_study.md).

Axisymmetric Li domain (r, y) of the unit cell, coordinates divided by the patch radius a.
Li is an incompressible power-law creeping solid, ε̇_eq = ε̇0 (σ_eq/σ0)^n, in steady flow
with velocity v relative to the electrolyte. Lengths are scaled by a, velocities by
v_far = Ω j_far / F, stresses by σ_ref = σ0 (v_far / (a ε̇0))^(1/n). The deviatoric stress
is then s = (2/3) e^(1/n − 1) ε̇ with e² = (2/3) ε̇:ε̇ + δ² (δ regularises the viscosity at
zero strain rate), and the flow is the saddle point of

    Π(v, p, U) = ∫ [ n/(n+1) e^(1+1/n) − p ∇·v − f·v ] r dA − P U A_c,

with v = ṽ + U E: the collector is rigid and moves down with the unknown speed U under
the applied mean pressure P (stationarity in U is the collector's force balance; E is
the P2 field equal to (0, −1) at the collector nodes and 0 at all others, so U couples
only to the top layer of cells; A_c = ∫ r ds over the collector; f is a body force for
verification only). Boundary conditions: bonded
interface v_y = −j(r)/j_far (the Li moves into the interface where it is stripped) with
v_r = 0 (sticking) or zero shear traction (frictionless); patch roof traction-free;
collector v_r = 0; axis and outer radius v_r = 0 and zero shear (or, with
lithium_boundary "free", a traction-free top and outer radius and no U, as in Roy,
Fleck & Deshpande 2021). Taylor–Hood P2–P1 plus
one global unknown U, Newton with the exact Jacobian (second derivative of Π), MUMPS,
continuation in n (``solver.physics.patch_flow.exponent_sweep``). Axisymmetric integrals
carry the weight r (2π dropped).
"""

from __future__ import annotations

import numpy as np
import ufl
from basix.ufl import element, mixed_element, real_element
from dolfinx import fem
from dolfinx import mesh as dmesh
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.errors import SolverError
from lisse.solver.fem.domain import Domain, lithium_submesh

CONTACTS = ("sticking", "frictionless")
LITHIUM_BOUNDARIES = ("collector", "free")


def lithium_domain(
    msh: dmesh.Mesh, cell_tags: dmesh.MeshTags, facet_tags: dmesh.MeshTags, scale: float
) -> Domain:
    """The Li cells as a submesh with their facet tags, coordinates divided by ``scale``."""
    sub, tags = lithium_submesh(msh, cell_tags, facet_tags)
    sub.geometry.x[:] /= scale
    return Domain(sub, tags, axisymmetric=True)


def strain_rate(v, r):
    """Axisymmetric strain-rate tensor: rr, yy, ry and the hoop rate v_r/r (3×3)."""
    g = ufl.grad(v)
    shear = 0.5 * (g[0, 1] + g[1, 0])
    return ufl.as_tensor([[g[0, 0], shear, 0], [shear, g[1, 1], 0], [0, 0, v[0] / r]])


def divergence(v, r):
    return ufl.grad(v)[0, 0] + ufl.grad(v)[1, 1] + v[0] / r


def deviatoric_stress(eps, n, delta):
    """s = (2/3) e^(1/n − 1) ε̇, e² = (2/3) ε̇:ε̇ + δ² (scaled units)."""
    eq2 = 2.0 / 3.0 * ufl.inner(eps, eps) + delta**2
    return 2.0 / 3.0 * eq2 ** ((1 / n - 1) / 2) * eps


class CreepFlow:
    """Steady power-law creep of the Li in scaled units (see the module docstring).

    domain: Li domain with tags contact, void_lithium, collector, side_lithium, axis.
    contact: "sticking" or "frictionless" tangential condition on the bonded interface.
    lithium_boundary: "collector" (rigid collector under the mean pressure P, outer radius
      a symmetry plane: a periodic array of patches) or "free" (top and outer radius
      traction-free: a single patch under a free Li disc, the setting of Roy, Fleck &
      Deshpande 2021; P is then not used).
    regularisation: δ in units of v_far/a.
    body_force: a UFL vector f (verification only).
    Call ``set_interface`` (bonded-interface v_y) and set ``pressure`` (P/σ_ref) and ``n``
    before ``solve``.
    """

    _count = 0

    def __init__(
        self,
        domain: Domain,
        contact: str,
        lithium_boundary: str = "collector",
        regularisation: float = 1e-5,
        body_force=None,
        quadrature_degree: int = 4,
        rtol: float = 1e-8,
        max_it: int = 50,
    ):
        if contact not in CONTACTS:
            raise ValueError(f"contact must be one of {CONTACTS}")
        if lithium_boundary not in LITHIUM_BOUNDARIES:
            raise ValueError(f"lithium_boundary must be one of {LITHIUM_BOUNDARIES}")
        self.domain, self.contact, self.rtol = domain, contact, rtol
        self.free = lithium_boundary == "free"
        msh = domain.mesh
        self.comm = msh.comm
        cell = msh.basix_cell()
        self.space = fem.functionspace(
            msh,
            mixed_element([element("Lagrange", cell, 2, shape=(2,)), element("Lagrange", cell, 1)]),
        )
        self.w = fem.Function(self.space)
        self.U = fem.Function(fem.functionspace(msh, real_element(cell, ())))
        r = ufl.SpatialCoordinate(msh)[0]
        self.top = self.comm.allreduce(
            float(np.max(msh.geometry.x[:, 1], initial=-np.inf)), op=MPI.MAX
        )
        self.velocity_space, self._velocity_dofs = self.space.sub(0).collapse()
        self.lift = fem.Function(self.velocity_space)  # E: (0, −1) on the collector nodes
        if not self.free:
            self.lift.interpolate(
                lambda x: np.vstack([0 * x[0], -1.0 * np.isclose(x[1], self.top)])
            )
        v_tilde, p = ufl.split(self.w)
        self.v = v_tilde + self.U * self.lift
        self.p = p
        self.n = fem.Constant(msh, PETSc.ScalarType(1.0))
        self.delta = fem.Constant(msh, PETSc.ScalarType(regularisation))
        self.pressure = fem.Constant(msh, PETSc.ScalarType(0.0))
        n = self.n
        eq2 = 2.0 / 3.0 * ufl.inner(strain_rate(self.v, r), strain_rate(self.v, r)) + self.delta**2
        energy = n / (n + 1) * eq2 ** ((n + 1) / (2 * n))
        dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": quadrature_degree})
        ds = domain.ds()
        collector = ds(FACET_TAGS["collector"])
        potential = (
            energy - p * divergence(self.v, r)
        ) * r * dx - self.pressure * self.U * r * collector
        if body_force is not None:
            potential -= ufl.dot(body_force, self.v) * r * dx
        if self.free:
            residual, unknowns, kind = ufl.derivative(potential, self.w), self.w, None
        else:
            residual = [ufl.derivative(potential, self.w), ufl.derivative(potential, self.U)]
            unknowns, kind = [self.w, self.U], "mpi"
        self.vy_space, _ = self.space.sub(0).sub(1).collapse()
        self.bonded = fem.Function(self.vy_space)
        bcs = self._boundary_conditions()
        CreepFlow._count += 1
        options = {
            "snes_type": "newtonls",
            "snes_linesearch_type": "bt",
            "snes_rtol": rtol,
            "snes_atol": 1e-9,  # scaled units: residuals are O(1)
            "snes_stol": 0.0,
            "snes_max_it": max_it,
            "ksp_type": "preonly",
            "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps",
        }
        self.problem = fem_petsc.NonlinearProblem(
            residual,
            unknowns,
            bcs=bcs,
            kind=kind,
            petsc_options_prefix=f"lisse_creep_{CreepFlow._count}_",
            petsc_options=options,
        )
        normal = ufl.FacetNormal(msh)
        self._roof_flux = fem.form(ufl.dot(self.v, normal) * r * ds(FACET_TAGS["void_lithium"]))
        self._top_flux = fem.form(-self.v[1] * r * collector)
        self._top_area = fem.form(r * collector)
        index_map = self.space.dofmap.index_map
        self.dofs = index_map.size_global * self.space.dofmap.index_map_bs + 1

    def _boundary_conditions(self) -> list:
        msh, tags = self.domain.mesh, self.domain.facet_tags
        fdim = msh.topology.dim - 1
        vr_sub, vy_sub = self.space.sub(0).sub(0), self.space.sub(0).sub(1)
        vr_space, _ = vr_sub.collapse()
        zero_r, zero_y = fem.Function(vr_space), fem.Function(self.vy_space)

        def dofs(sub, space, name):
            return fem.locate_dofs_topological((sub, space), fdim, tags.find(FACET_TAGS[name]))

        radial = ["axis"] if self.free else ["axis", "side_lithium", "collector"]
        if self.contact == "sticking":
            radial.append("contact")
        bcs = [fem.dirichletbc(zero_r, dofs(vr_sub, vr_space, name), vr_sub) for name in radial]
        bcs.append(fem.dirichletbc(self.bonded, dofs(vy_sub, self.vy_space, "contact"), vy_sub))
        if not self.free:
            bcs.append(fem.dirichletbc(zero_y, dofs(vy_sub, self.vy_space, "collector"), vy_sub))
        return bcs

    def set_interface(self, velocity) -> None:
        """Bonded-interface normal velocity v_y: a callable of x (shape (3, m))."""
        self.bonded.interpolate(velocity)

    def solve(self, exponents, rtol: float | None = None) -> int:
        """Newton solves along the continuation path ``exponents`` (increasing n), each
        starting from the previous solution, to relative tolerance ``rtol`` (default: the
        constructor's); returns the total Newton iterations."""
        snes = self.problem.solver
        snes.setTolerances(rtol=rtol or self.rtol)
        total = 0
        for n in exponents:
            self.n.value = float(n)
            self.problem.solve()
            reason, its = snes.getConvergedReason(), snes.getIterationNumber()
            total += its
            if reason < 0:
                raise SolverError(
                    f"creep flow (n = {n:g}, {self.contact}) did not converge "
                    f"after {its} Newton iterations (PETSc reason {reason})"
                )
        return total

    @property
    def collector_velocity(self) -> float:
        """U: the collector's speed toward the electrolyte (scaled); for a free top, the
        area-weighted mean speed of the top surface."""
        if self.free:
            flux, area = (
                self.comm.allreduce(fem.assemble_scalar(form))
                for form in (self._top_flux, self._top_area)
            )
            return flux / area
        return float(self.comm.bcast(self.U.x.array[0] if len(self.U.x.array) else None))

    def velocity_at(self, point: tuple[float, float]) -> np.ndarray:
        """The velocity v = ṽ + U E at a mesh node (e.g. the patch apex), on every rank."""
        space = self.velocity_space
        x = space.tabulate_dof_coordinates()
        owned = space.dofmap.index_map.size_local
        d = np.hypot(x[:owned, 0] - point[0], x[:owned, 1] - point[1])
        k = int(np.argmin(d)) if owned else -1
        dist = float(d[k]) if owned else np.inf
        best = self.comm.allreduce(dist, op=MPI.MIN)
        if best > 1e-9:
            raise SolverError(f"no velocity node at {point}")
        mine = dist == best
        value = np.zeros(2)
        speed = self.collector_velocity  # collective: on every rank
        if mine:
            tilde = self.w.x.array[self._velocity_dofs].reshape(-1, 2)[k]
            value = tilde + speed * self.lift.x.array.reshape(-1, 2)[k]
        return self.comm.allreduce(value) / self.comm.allreduce(int(mine))

    def roof_flux(self) -> float:
        """∫ v·n r ds over the patch roof (n out of the Li): the patch volume rate."""
        return self.comm.allreduce(fem.assemble_scalar(self._roof_flux))
