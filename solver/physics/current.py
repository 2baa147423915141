"""Steady current distribution in the solid electrolyte.

The electrolyte potential φ [V] solves ∇·(κ∇φ) = 0 (single-ion conductor, electroneutral).
The Li electrode is an equipotential at the cell voltage V (the counter electrode is the
reference, 0 V). Boundary conditions:

* contact (Li/electrolyte): κ∂φ/∂n = j_w(V − φ), the working-electrode kinetics
  (``solver.physics.kinetics``), or φ = V for a primary (kinetics-free) distribution;
* void floors and lateral symmetry faces: no flux;
* counter electrode: φ = 0 (ideal) or −κ∂φ/∂n = −j_c(−φ), the current leaving the
  electrolyte into the counter electrode.

Galvanostatic control adds the global unknown V and the constraint ∫_contact j_w dA = I.

Discretisation: P1 Lagrange. The interface laws are applied node by node with lumped
(vertex-quadrature) weights w_i = ∫ v_i dA, which makes a series film resistance (an
implicit law) a local scalar solve and keeps the Jacobian exact. The Newton system
(φ, V) is bordered:

    [A   c] [δφ]     [R_φ]          A = K + diag(w_i j'_i)  (SPD, solved by CG + GAMG)
    [rᵀ  d] [δV] = − [R_V]

and is solved by PETSc SNES with a shell preconditioner doing exact block elimination with
two solves of A, so AMG applies to the only large block. Axisymmetric integrals carry the
weight r (the common factor 2π is dropped throughout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.config.params import Kinetics, Numerics
from lisse.solver.errors import SolverError
from lisse.solver.fem.domain import Domain
from lisse.solver.physics.kinetics import interface_current


@dataclass
class CurrentSolution:
    """Result of a current-distribution solve (SI units).

    current: total current through the contact [A] (per radian of an axisymmetric cell).
    interface_area: area of the interface plane, contact plus voids [m²] (per radian).
    contact_area: area in contact [m²].
    nodes_x: coordinates of the owned interface nodes (contact and void floor), shape (n, 3).
    nodes_j: local current density at those nodes [A/m²] (0 on void floors).
    nodes_contact: True where the node belongs to a contact facet.
    """

    potential: fem.Function
    cell_voltage: float
    current: float
    interface_area: float
    contact_area: float
    nodes_x: np.ndarray
    nodes_j: np.ndarray
    nodes_contact: np.ndarray
    newton_iterations: int
    krylov_iterations: int
    domain: Domain | None = None
    conductivity: float | fem.Function | None = None  # κ as given to the solver

    @property
    def current_density(self) -> float:
        """Mean current density over the interface plane [A/m²]."""
        return self.current / self.interface_area


def _options(prefix: str, numerics: Numerics, ndofs: int) -> dict:
    direct = numerics.linear_solver == "direct" or (
        numerics.linear_solver == "auto" and ndofs <= numerics.direct_max_dofs)
    if direct:
        return {f"{prefix}ksp_type": "preonly", f"{prefix}pc_type": "lu",
                f"{prefix}pc_factor_mat_solver_type": "mumps"}
    return {f"{prefix}ksp_type": "cg", f"{prefix}pc_type": "gamg",
            f"{prefix}ksp_rtol": numerics.krylov_rtol, f"{prefix}ksp_atol": 1e-300,
            f"{prefix}ksp_max_it": 1000, f"{prefix}ksp_norm_type": "unpreconditioned",
            f"{prefix}pc_gamg_coarse_eq_limit": 1000, f"{prefix}mg_levels_ksp_type": "chebyshev",
            f"{prefix}mg_levels_pc_type": "jacobi"}


# Li surfaces of the conduction domain that carry the working-electrode kinetics.
REACTING_FACETS = ("contact", "crack_lithium", "liquid_lithium")


class CurrentDistribution:
    """Assembles the conduction operator once and solves for φ and V.

    conductivity: κ [S/m], a float or a DG0 function on the domain (scalar, or a gdim×gdim
    tensor for anisotropic grain-boundary bands; ``solver.physics.conductivity``).
    source: an optional extra linear form L(v) added to the right-hand side (used by the
    manufactured-solution tests).

    The kinetics act on every Li surface of the domain (REACTING_FACETS: the planar
    contact, Li-filled crack faces, wetted roofs of liquid-filled voids); ``contact_area``
    is the planar contact only and ``interface_area`` the interface plane (contact plus
    void floors, dry or liquid-filled).
    """

    _count = 0

    def __init__(self, domain: Domain, conductivity: float, working: Kinetics,
                 counter: Kinetics, temperature: float, numerics: Numerics,
                 source: ufl.Form | None = None):
        self.domain, self.working, self.counter = domain, working, counter
        self.temperature, self.numerics = temperature, numerics
        msh = domain.mesh
        self.comm = msh.comm
        self.space = fem.functionspace(msh, ("Lagrange", 1))
        self.phi = fem.Function(self.space, name="potential")
        u, v = ufl.TrialFunction(self.space), ufl.TestFunction(self.space)
        r, ds = domain.radius_weight, domain.ds()
        self.conductivity = conductivity
        if isinstance(conductivity, fem.Function):
            kappa = conductivity
        else:
            kappa = fem.Constant(msh, PETSc.ScalarType(conductivity))
        flux = kappa * ufl.grad(u) if kappa.ufl_shape == () else ufl.dot(kappa, ufl.grad(u))
        self.K = fem_petsc.assemble_matrix(fem.form(ufl.inner(flux, ufl.grad(v)) * r * ufl.dx))
        self.K.assemble()
        self.n = self.space.dofmap.index_map.size_local
        self.w_plane = w_plane = self._lumped_weights(v * r * ds(11))
        self.w_contact = sum(self._lumped_weights(v * r * ds(FACET_TAGS[name]))
                             for name in REACTING_FACETS)
        self.w_void = self._lumped_weights(v * r * ds(12))
        self.w_counter = self._lumped_weights(v * r * ds(14))
        self.contact = np.flatnonzero(self.w_contact > 0)
        self.counter_nodes = np.flatnonzero(self.w_counter > 0)
        self.contact_area = self._sum(w_plane)
        self.interface_area = (self.contact_area + self._sum(self.w_void)
                               + self._filled_void_area())
        if self.contact_area <= 0:
            raise SolverError("the mesh has no contact facets (tag 'contact')")
        self.source = None
        if source is not None:
            vec = fem_petsc.assemble_vector(fem.form(source))
            vec.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
            self.source = vec.array_r[: self.n].copy()
        # Dirichlet nodes: counter (ideal) and, for a primary distribution, the contact.
        self.dirichlet = np.zeros(self.n, dtype=bool)
        if counter.model == "ideal":
            self.dirichlet[self.counter_nodes] = True
        self.ndofs = self.space.dofmap.index_map.size_global
        CurrentDistribution._count += 1
        self.prefix = f"lisse_current_{CurrentDistribution._count}_"
        # The Newton operator is A = K + diag(added) with identity Dirichlet rows and
        # columns. With kinetics on the contact the Dirichlet set (an ideal counter) never
        # changes: K itself becomes A and K φ = A φ − added ⊙ φ (φ = 0 there), so only one
        # matrix is stored. A primary distribution keeps K for its lifting and reactions.
        self.added = np.zeros(self.n)
        if working.model == "primary":
            self.A = self.K.copy()
        else:
            self.A = self.K
            self._zero_dirichlet()
            self.base_diagonal = self.A.getDiagonal().array_r.copy()
        self.ksp = PETSc.KSP().create(self.comm)
        self.ksp.setOptionsPrefix(self.prefix)
        opts = PETSc.Options()
        for key, value in _options(self.prefix, numerics, self.ndofs).items():
            opts[key] = value
        self.ksp.setFromOptions()
        self.krylov_iterations = 0
        self.shift = np.zeros(self.n)  # equilibrium-potential shift of the working electrode
        self.i0_factor = np.ones(self.n)

    def set_interface_state(self, shift_V: np.ndarray, i0_factor: np.ndarray) -> None:
        """Stress coupling (docs/theory.md): over the owned dofs, the shift U [V] of the
        working electrode's equilibrium potential (η = Δφ − U − j R_f) and the factor on its
        exchange current density (on the conductance for linear kinetics)."""
        if self.working.model == "primary":
            raise SolverError("stress coupling needs butler_volmer or linear kinetics")
        self.shift = np.asarray(shift_V, dtype=float).copy()
        self.i0_factor = np.asarray(i0_factor, dtype=float).copy()

    def _working_current(self, phi: np.ndarray, voltage: float):
        """j and dj/d(V − φ) of the working electrode at the contact nodes."""
        c = self.contact
        return interface_current(voltage - phi[c] - self.shift[c], self.working,
                                 self.temperature, i0_factor=self.i0_factor[c])

    def set_contact(self, fraction: np.ndarray) -> None:
        """Set the contact on the interface plane node by node (interface evolution):
        ``fraction`` (over the owned dofs, in [0, 1]) is the share of each node's interface
        area in contact; the rest is insulating void floor."""
        plane = self.w_plane + self.w_void
        self.w_plane = self.w_contact = plane * np.clip(fraction, 0.0, 1.0)
        self.w_void = plane - self.w_contact
        self.contact = np.flatnonzero(self.w_contact > 0)
        self.contact_area = self._sum(self.w_contact)

    # -- assembly helpers -------------------------------------------------------------
    def _filled_void_area(self) -> float:
        """Area of void floors inside the domain (liquid-filled voids: interior facets)."""
        weight = self.domain.radius_weight
        weight = weight("+") if self.domain.axisymmetric else fem.Constant(self.domain.mesh, 1.0)
        dS = ufl.Measure("dS", domain=self.domain.mesh, subdomain_data=self.domain.facet_tags)
        form = fem.form(weight * dS(FACET_TAGS["void_electrolyte"]))
        return self.comm.allreduce(fem.assemble_scalar(form))

    def _lumped_weights(self, form) -> np.ndarray:
        vec = fem_petsc.assemble_vector(fem.form(form))
        vec.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        return vec.array_r[: self.n].copy()

    def _sum(self, a: np.ndarray) -> float:
        return self.comm.allreduce(float(np.sum(a)))

    def _K_times(self, phi_owned: np.ndarray) -> np.ndarray:
        """K φ (off the Dirichlet rows when K has become the Newton operator)."""
        x = self.K.createVecRight()
        x.array[:] = phi_owned
        y = self.K.createVecLeft()
        self.K.mult(x, y)
        if self.A is self.K:
            return y.array_r - self.added * phi_owned
        return y.array_r.copy()

    def _counter_flux(self, phi: np.ndarray):
        """Nodal current leaving the electrolyte into the counter electrode and its
        derivative with respect to φ (zero for an ideal counter electrode)."""
        nodes = self.counter_nodes
        if self.counter.model == "ideal":
            return np.zeros(len(nodes)), np.zeros(len(nodes))
        j, dj = interface_current(-phi[nodes], self.counter, self.temperature)
        return -self.w_counter[nodes] * j, self.w_counter[nodes] * dj

    # -- public solves ----------------------------------------------------------------
    def solve(self, mode: str, value: float) -> CurrentSolution:
        """Solve under ``mode`` "galvanostatic" (value: mean current density over the
        interface plane [A/m²]) or "potentiostatic" (value: cell voltage [V])."""
        if self.working.model == "primary":
            return self._solve_primary(mode, value)
        return self._solve_newton(mode, value)

    def _linear_operator(self, diagonal: np.ndarray) -> None:
        """Set A = K + diag(diagonal), with identity rows and columns on Dirichlet nodes."""
        d = self.A.createVecLeft()
        if self.A is self.K:
            self.added = np.where(self.dirichlet, 0.0, diagonal)
            d.array[:] = self.base_diagonal + self.added
            self.A.setDiagonal(d, addv=PETSc.InsertMode.INSERT_VALUES)
        else:
            self.K.copy(self.A, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
            d.array[:] = diagonal
            self.A.setDiagonal(d, addv=PETSc.InsertMode.ADD_VALUES)
            self._zero_dirichlet()
        self.ksp.setOperators(self.A)

    def _zero_dirichlet(self) -> None:
        rows = self.space.dofmap.index_map.local_range[0] + np.flatnonzero(self.dirichlet)
        self.A.zeroRowsColumns(rows.astype(PETSc.IntType), diag=1.0)

    def _linear_solve(self, rhs: np.ndarray) -> np.ndarray:
        b = self.A.createVecLeft()
        b.array[:] = rhs
        x = self.A.createVecRight()
        self.ksp.solve(b, x)
        if self.ksp.getConvergedReason() < 0:
            raise SolverError(f"linear solver failed (PETSc reason "
                              f"{self.ksp.getConvergedReason()})")
        self.krylov_iterations += self.ksp.getIterationNumber()
        return x.array_r.copy()

    def _solve_primary(self, mode: str, value: float) -> CurrentSolution:
        """Equipotential contact. The problem is linear and homogeneous in V (the counter
        electrode must be ideal or linear): solve once for V = 1 and scale."""
        if self.counter.model not in ("ideal", "linear"):
            raise SolverError("primary kinetics needs an ideal or linear counter electrode")
        self.dirichlet[self.contact] = True
        diagonal = np.zeros(self.n)
        if self.counter.model == "linear":
            _, dflux = self._counter_flux(np.zeros(self.n))
            diagonal[self.counter_nodes] = dflux
        lift = np.zeros(self.n)
        lift[self.contact] = 1.0
        rhs = -self._K_times(lift)
        if self.source is not None:
            raise SolverError("a source term is not supported with primary kinetics")
        rhs[self.dirichlet] = lift[self.dirichlet]
        self._linear_operator(diagonal)
        unit = self._linear_solve(rhs)
        reaction = self._K_times(unit)  # nodal current entering through the contact
        unit_current = self._sum(reaction[self.contact])
        if mode == "galvanostatic":
            voltage = value * self.interface_area / unit_current
        else:
            voltage = value
        phi = voltage * unit
        nodal_current = np.zeros(self.n)
        nodal_current[self.contact] = voltage * reaction[self.contact]
        return self._solution(phi, voltage, nodal_current, newton_iterations=1)

    def _solve_newton(self, mode: str, value: float) -> CurrentSolution:
        """Newton on (φ, V) through SNES with the exact Jacobian (see module docstring)."""
        system = _BorderedSystem(self, mode, value)
        snes = PETSc.SNES().create(self.comm)
        snes.setOptionsPrefix(self.prefix + "snes_")
        snes.setType("newtonls")
        snes.getLineSearch().setType("bt")
        snes.setTolerances(rtol=self.numerics.newton_rtol,
                           atol=self.numerics.newton_atol * system.reference_current,
                           stol=1e-14, max_it=self.numerics.newton_max_iterations)
        jac = PETSc.Mat().createPython((system.sizes, system.sizes), system, comm=self.comm)
        jac.setUp()
        snes.setFunction(system.residual, system.create_vec())
        snes.setJacobian(system.jacobian, jac, jac)
        ksp = snes.getKSP()
        ksp.setType("preonly")
        ksp.getPC().setType("python")
        ksp.getPC().setPythonContext(system)
        x = system.create_vec()
        system.initial_guess(x)
        snes.solve(None, x)
        reason, its = snes.getConvergedReason(), snes.getIterationNumber()
        snes.destroy()
        if reason < 0 or system.nonfinite:
            raise SolverError(
                f"Newton solve of the current distribution did not converge after {its} "
                f"iterations (PETSc reason {reason}); try a smaller current density or a "
                f"finer interface mesh")
        phi, voltage = system.split(x)
        nodal_current = np.zeros(self.n)
        j, _ = self._working_current(phi, voltage)
        nodal_current[self.contact] = self.w_contact[self.contact] * j
        return self._solution(phi, voltage, nodal_current, newton_iterations=its)

    def _solution(self, phi: np.ndarray, voltage: float, nodal_current: np.ndarray,
                  newton_iterations: int) -> CurrentSolution:
        self.phi.x.array[: self.n] = phi
        self.phi.x.scatter_forward()
        nodes = np.flatnonzero((self.w_contact > 0) | (self.w_void > 0))
        in_contact = self.w_contact[nodes] > 0
        j = np.zeros(len(nodes))
        j[in_contact] = nodal_current[nodes][in_contact] / self.w_contact[nodes][in_contact]
        x = self.space.tabulate_dof_coordinates()[nodes]
        return CurrentSolution(
            potential=self.phi, cell_voltage=float(voltage),
            current=self._sum(nodal_current[self.contact]),
            interface_area=self.interface_area, contact_area=self.contact_area,
            nodes_x=x, nodes_j=j, nodes_contact=in_contact,
            newton_iterations=newton_iterations, krylov_iterations=self.krylov_iterations,
            domain=self.domain, conductivity=self.conductivity)


class _BorderedSystem:
    """Residual, Jacobian (a PETSc python Mat) and exact block-elimination preconditioner
    of the Newton system in (φ, V). The global vector holds the owned φ values of each rank
    followed, on rank 0 only, by V."""

    def __init__(self, cd: CurrentDistribution, mode: str, value: float):
        self.cd, self.mode, self.value = cd, mode, value
        n = cd.n
        extra = 1 if cd.comm.rank == 0 else 0
        self.sizes = (n + extra, cd.ndofs + 1)
        self.nonfinite = False
        area = cd.interface_area
        self.conductance = cd._sum(np.abs(cd.K.getDiagonal().array_r)) / max(cd.ndofs, 1)
        if mode == "galvanostatic":
            self.reference_current = abs(value) * area
        else:
            self.reference_current = abs(value) * self.conductance
        self.c = np.zeros(n)
        self.r = np.zeros(n)
        self.d = 1.0
        self.y2 = np.zeros(n)

    def create_vec(self) -> PETSc.Vec:
        vec = PETSc.Vec().createMPI(self.sizes, comm=self.cd.comm)
        vec.set(0.0)
        return vec

    def split(self, x: PETSc.Vec) -> tuple[np.ndarray, float]:
        a = x.array_r
        n = self.cd.n
        voltage = self.cd.comm.bcast(float(a[n]) if self.cd.comm.rank == 0 else None, root=0)
        return a[:n].copy(), voltage

    def _join(self, y: PETSc.Vec, phi_part: np.ndarray, v_part: float) -> None:
        a = y.array
        a[: self.cd.n] = phi_part
        if self.cd.comm.rank == 0:
            a[self.cd.n] = v_part

    def initial_guess(self, x: PETSc.Vec) -> None:
        cd = self.cd
        if self.mode == "galvanostatic":
            from lisse.solver.physics.kinetics import planar_cell_voltage

            j_contact = self.value * cd.interface_area / cd.contact_area
            voltage = planar_cell_voltage(j_contact, 0.0, 1.0, cd.working, cd.counter,
                                          cd.temperature)
        else:
            voltage = self.value
        self._join(x, np.zeros(cd.n), voltage)

    def _contact_law(self, phi: np.ndarray, voltage: float):
        cd = self.cd
        j, dj = cd._working_current(phi, voltage)
        w = cd.w_contact[cd.contact]
        return w * j, w * dj

    def residual(self, snes, x: PETSc.Vec, f: PETSc.Vec) -> None:
        cd = self.cd
        phi, voltage = self.split(x)
        res = cd._K_times(phi)
        flux, _ = self._contact_law(phi, voltage)
        res[cd.contact] -= flux
        out, _ = cd._counter_flux(phi)
        res[cd.counter_nodes] += out
        if cd.source is not None:
            res -= cd.source
        res[cd.dirichlet] = phi[cd.dirichlet]
        if self.mode == "galvanostatic":
            res_v = cd._sum(flux) - self.value * cd.interface_area
        else:
            res_v = self.conductance * (voltage - self.value)
        bad = not (np.all(np.isfinite(res)) and np.isfinite(res_v))
        self.nonfinite = bool(cd.comm.allreduce(bad, op=MPI.LOR))
        self._join(f, res, res_v)

    def jacobian(self, snes, x: PETSc.Vec, jac, pmat) -> None:
        cd = self.cd
        phi, voltage = self.split(x)
        _, dflux = self._contact_law(phi, voltage)
        diagonal = np.zeros(cd.n)
        diagonal[cd.contact] += dflux
        _, dout = cd._counter_flux(phi)
        diagonal[cd.counter_nodes] += dout
        cd._linear_operator(diagonal)
        self.c = np.zeros(cd.n)
        self.c[cd.contact] = -dflux
        self.c[cd.dirichlet] = 0.0
        if self.mode == "galvanostatic":
            self.r, self.d = self.c.copy(), cd._sum(dflux)
        else:
            self.r, self.d = np.zeros(cd.n), self.conductance
        self.y2 = cd._linear_solve(self.c)
        self.schur = self.d - cd._sum(self.r * self.y2)

    # PETSc python-Mat interface: the bordered Jacobian.
    def mult(self, mat, x: PETSc.Vec, y: PETSc.Vec) -> None:
        xp, xv = self.split(x)
        yp = self._A_times(xp) + self.c * xv
        self._join(y, yp, self.cd._sum(self.r * xp) + self.d * xv)

    def multTranspose(self, mat, x: PETSc.Vec, y: PETSc.Vec) -> None:
        xp, xv = self.split(x)  # A is symmetric
        yp = self._A_times(xp) + self.r * xv
        self._join(y, yp, self.cd._sum(self.c * xp) + self.d * xv)

    def _A_times(self, xp: np.ndarray) -> np.ndarray:
        a = self.cd.A
        vx, vy = a.createVecRight(), a.createVecLeft()
        vx.array[:] = xp
        a.mult(vx, vy)
        return vy.array_r.copy()

    # PETSc python-PC interface: exact inverse of the bordered Jacobian.
    def apply(self, pc, x: PETSc.Vec, y: PETSc.Vec) -> None:
        xp, xv = self.split(x)
        y1 = self.cd._linear_solve(xp)
        yv = (xv - self.cd._sum(self.r * y1)) / self.schur
        self._join(y, y1 - self.y2 * yv, yv)
