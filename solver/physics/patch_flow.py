"""The debonded-patch study: does a circular debonded patch on a stripping Li/electrolyte
interface open or close? (Roy, Fleck & Deshpande 2021; docs/patch_study.md)

Axisymmetric unit cell (r, y) of radius W: electrolyte below y = 0, Li above, a debonded
patch r < a on the axis (a flat void of small height h), bonded elsewhere.

1. Current. Linear kinetics j = (V − φ)/Z on the bonded interface, no flux on the patch
   (``solver.physics.current``). The profile j(r)/j_far depends only on ā = a/(κZ) and the cell
   proportions; k_J = max j / j_far with j_far = j(W).
2. Li flow. Li is an incompressible power-law creeping solid, ε̇_eq = ε̇0 (σ_eq/σ0)^n, in
   steady flow with velocity v relative to the electrolyte. Lengths are scaled by a,
   velocities by v_far = Ω j_far / F, stresses by σ_ref = σ0 (v_far / (a ε̇0))^(1/n). The
   deviatoric stress is then s = (2/3) e^(1/n − 1) ε̇ with e² = (2/3) ε̇:ε̇ + δ² (δ
   regularises the viscosity at zero strain rate), and the flow is the saddle point of

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
   continuation in n. In these units the solution depends only on ā, n, P/σ_ref, the
   contact condition and the cell proportions.
3. Result: the velocity v_c of the Li surface at the patch centre over the far-field
   interface velocity v_far = −Ω j_far/F, R = v_c / v_far. In the frame of the electrolyte
   the gap over the patch centre changes at dh/dt = v_c = −R |v_far|: R > 0 closes the
   patch (the Li over it moves toward the electrolyte), R < 0 opens it. A rigid Li gives
   R = 1.

Axisymmetric integrals carry the weight r (2π dropped). The Li flow problem is solved on
the Li submesh with coordinates divided by a.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl
from basix.ufl import element, mixed_element, real_element
from dolfinx import fem
from dolfinx import mesh as dmesh
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS, CellGeometry, MeshSizes, Void
from lisse.solver.config.params import Kinetics, Numerics
from lisse.solver.errors import SolverError
from lisse.solver.fem.domain import Domain, electrolyte_domain
from lisse.solver.physics.current import CurrentDistribution

CONTACTS = ("sticking", "frictionless")
LITHIUM_BOUNDARIES = ("collector", "free")
REGULARISATION_START = 1e-2  # δ of the continuation in n (units of v_far/a)
PATH_RTOL = 1e-4  # Newton tolerance of the intermediate continuation steps


@dataclass(frozen=True)
class PatchCell:
    """Unit-cell proportions (in units of the patch radius a) and its mesh.

    radius: a [m] (sets the units only: the results depend on ratios).
    width, lithium, electrolyte: cell radius W, Li and electrolyte thicknesses over a.
    height: patch (void) height over a (small: the patch is a nearly flat debond).
    size, interface_size, edge_size: element sizes over a (bulk, interface, patch edge) of
        the current mesh; the creep flow uses the same sizes times ``flow_mesh_scale``.
    growth: mesh size growth rate away from the interface and the edge.
    """

    radius: float = 1e-6
    width: float = 10.0
    lithium: float = 10.0
    electrolyte: float = 10.0
    height: float = 0.05
    size: float = 1.0
    interface_size: float = 0.05
    edge_size: float = 0.001
    growth: float = 0.1
    flow_mesh_scale: float = 2.0

    def geometry(self, mesh_scale: float = 1.0) -> CellGeometry:
        """The cell with element sizes multiplied by ``mesh_scale``."""
        a, h = self.radius, self.radius * mesh_scale
        return CellGeometry(
            dimension="axisymmetric",
            width=self.width * a,
            lithium_thickness=self.lithium * a,
            electrolyte_thickness=self.electrolyte * a,
            sizes=MeshSizes(
                self.size * h, self.interface_size * h, self.edge_size * h, self.growth
            ),
            voids=(Void(center=(0.0,), radius=a, height=self.height * a),),
        )


@dataclass(frozen=True)
class InterfaceFlux:
    """The stripping flux on the bonded interface, gathered on every rank.

    r: radii of the bonded interface nodes over a (sorted); j: j(r)/j_far there.
    k_J: flux concentration max j / j_far. mean: j_mean/j_far, j_mean the current over the
    whole interface area (bonded plus patch).
    """

    abar: float
    r: np.ndarray
    j: np.ndarray
    k_J: float
    mean: float

    def velocity(self, x: np.ndarray) -> np.ndarray:
        """v_y = −j(r)/j_far on the bonded interface (x in units of a). The P1 trace of
        the current is linear between interface nodes, so this interpolation is exact."""
        return -np.interp(x[0], self.r, self.j)


@dataclass(frozen=True)
class PatchResult:
    """One case of the study (dimensionless).

    v_ratio: R = v_c / v_far (> 0: the patch closes, < 0: it opens).
    collector_velocity: U / |v_far|, the collector speed toward the electrolyte.
    roof_flux: ∫_roof v·n r ds / ∫_patch r dr, the rate of change of the patch volume over
        its area and |v_far| (mass balance: (U − j_mean/j_far) W²/a²).
    """

    abar: float
    n: float
    contact: str
    k_J: float
    v_ratio: float
    collector_velocity: float
    roof_flux: float
    newton_iterations: int
    dofs: int

    @property
    def opens(self) -> bool:
        return self.v_ratio < 0


def interface_flux(
    domain: Domain, abar: float, radius: float, numerics: Numerics | None = None
) -> InterfaceFlux:
    """Secondary current distribution with Z = a/(ā κ) (κ = 1 S/m, ideal counter electrode,
    unit mean current density: the problem is linear, the scale is irrelevant)."""
    kappa = 1.0
    working = Kinetics("linear", resistance=radius / (abar * kappa))
    cd = CurrentDistribution(
        domain, kappa, working, Kinetics("ideal"), 298.15, numerics or Numerics()
    )
    sol = cd.solve("galvanostatic", 1.0)
    comm = domain.mesh.comm
    r = np.concatenate(comm.allgather(sol.nodes_x[sol.nodes_contact, 0])) / radius
    j = np.concatenate(comm.allgather(sol.nodes_j[sol.nodes_contact]))
    order = np.argsort(r)
    r, j = r[order], j[order]
    far = j[-1]
    return InterfaceFlux(
        abar=abar, r=r, j=j / far, k_J=float(j.max() / far), mean=sol.current_density / far
    )


def lithium_domain(
    msh: dmesh.Mesh, cell_tags: dmesh.MeshTags, facet_tags: dmesh.MeshTags, scale: float
) -> Domain:
    """The Li cells as a submesh with their facet tags, coordinates divided by ``scale``."""
    tdim = msh.topology.dim
    cells = cell_tags.find(CELL_TAGS["lithium"])
    sub, cell_map, vertex_map, _ = dmesh.create_submesh(msh, tdim, cells)
    msh.topology.create_connectivity(tdim - 1, tdim)
    tags = dmesh.transfer_meshtags_to_submesh(facet_tags, sub, vertex_map, cell_map)
    sub.topology.create_connectivity(tdim - 1, tdim)
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


def continuation(n: float, start: float = 1.0, step: float = 2.0) -> list[float]:
    """Creep exponents after ``start`` up to n, growing geometrically by at most ``step``."""
    path = [start]
    while path[-1] < n:
        path.append(min(n, path[-1] * step))
    return path[1:]


def regularisation_ladder(delta: float, start: float = REGULARISATION_START) -> list[float]:
    """Regularisations from ``start`` down to δ by factors of 10 (δ last)."""
    ladder = []
    while start / 10 > delta * (1 + 1e-9):
        start /= 10
        ladder.append(start)
    return [*ladder, delta]


def exponent_sweep(
    flow: CreepFlow,
    flux: InterfaceFlux,
    exponents,
    cell: PatchCell,
    regularisation: float,
    continuation_factor: float = 2.0,
) -> list[PatchResult]:
    """Solve one flux profile for each creep exponent (increasing). Continuation in n (by
    factors of at most ``continuation_factor``) runs at
    the large regularisation REGULARISATION_START; each recorded solution then follows the
    regularisation ladder down to ``regularisation`` (the power law is nearly rigid where the
    strain rate is small, and Newton needs this path for n ≫ 1)."""
    flow.w.x.array[:] = 0.0
    flow.U.x.array[:] = 0.0
    flow.set_interface(flux.velocity)
    flow.delta.value = REGULARISATION_START
    its = flow.solve([1.0])
    done, results = 1.0, []
    for n in sorted(exponents):
        if n > done:
            its += flow.solve(continuation(n, done, continuation_factor), PATH_RTOL)
            done = n
        saved = (flow.w.x.array.copy(), flow.U.x.array.copy())
        if n != 1:
            ladder = regularisation_ladder(regularisation)
            for delta in ladder:
                flow.delta.value = delta
                its += flow.solve([n], None if delta == ladder[-1] else PATH_RTOL)
        results.append(case_result(flow, flux, n, cell, its))
        flow.w.x.array[:], flow.U.x.array[:] = saved
        flow.delta.value = REGULARISATION_START
        its = 0
    return results


def patch_cases(
    cell: PatchCell,
    abars,
    exponents,
    contacts,
    comm,
    pressure: float = 0.0,
    regularisation: float = 1e-5,
    numerics: Numerics | None = None,
    lithium_boundary: str = "collector",
    continuation_factor: float = 2.0,
    max_newton_iterations: int = 50,
) -> list[PatchResult]:
    """Run the study: the current on the fine mesh (one solve per ā), the creep flow on the
    coarser flow mesh (one exponent sweep per contact condition and ā). ``pressure`` is
    P/σ_ref (collector only); ``lithium_boundary`` as in ``CreepFlow``; smaller
    ``continuation_factor`` and more ``max_newton_iterations`` help Newton on large cells.
    Results are ordered by contact, ā, n."""
    from lisse.meshes.cache import load_mesh

    data = load_mesh(cell.geometry(), comm)
    electrolyte = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, True)
    fluxes = [interface_flux(electrolyte, abar, cell.radius, numerics) for abar in abars]
    data = load_mesh(cell.geometry(cell.flow_mesh_scale), comm)
    lithium = lithium_domain(data.mesh, data.cell_tags, data.facet_tags, cell.radius)
    results = []
    for contact in contacts:
        flow = CreepFlow(lithium, contact, lithium_boundary, max_it=max_newton_iterations)
        flow.pressure.value = pressure
        for flux in fluxes:
            results += exponent_sweep(
                flow, flux, exponents, cell, regularisation, continuation_factor
            )
    return results


def case_result(
    flow: CreepFlow, flux: InterfaceFlux, n: float, cell: PatchCell, iterations: int = 0
) -> PatchResult:
    """The dimensionless observables of a solved flow (v_far = −1 in scaled units)."""
    v_c = flow.velocity_at((0.0, cell.height))[1]
    return PatchResult(
        abar=flux.abar,
        n=n,
        contact=flow.contact,
        k_J=flux.k_J,
        v_ratio=float(-v_c),
        collector_velocity=flow.collector_velocity,
        roof_flux=flow.roof_flux() / 0.5,
        newton_iterations=iterations,
        dofs=flow.dofs,
    )
