"""Newton's method for a field with one global unknown: the bordered system.

The current distribution under galvanostatic control has the unknowns (φ, V): the
electrolyte potential (a P1 field) and the cell voltage (one number). Its Newton system is

    [A   c] [δφ]     [R_φ]          A = K + diag(w_i j'_i)  (SPD, solved by CG + GAMG)
    [rᵀ  d] [δV] = − [R_V]

PETSc SNES (Newton with backtracking line search) drives it; the Jacobian is a PETSc
python matrix and the preconditioner is the exact block elimination

    y₁ = A⁻¹ x_φ,  y₂ = A⁻¹ c,  δV = (x_V − rᵀy₁) / (d − rᵀy₂),  δφ = y₁ − y₂ δV,

two solves of A per Newton step, so the AMG sees only the SPD block. The global vector
holds the owned φ values of each rank followed, on rank 0 only, by V.

The problem object (``lisse.solver.physics.current.CurrentDistribution``) provides: ``n``
(owned dofs), ``ndofs`` (global), ``comm``, ``contact`` (contact node indices),
``w_contact`` (lumped weights), ``counter_nodes``, ``dirichlet`` (mask), ``source``,
``interface_area``, ``K`` (the stiffness), ``numerics``, and the methods ``sum``,
``K_times``, ``working_current``, ``counter_flux``, ``set_operator``, ``linear_solve``,
``apply_operator`` and ``planar_voltage``.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI
from petsc4py import PETSc

from lisse.solver.errors import SolverError


class BorderedNewton:
    """Residual, Jacobian (a PETSc python Mat) and exact block-elimination preconditioner
    of the Newton system in (φ, V), for "galvanostatic" (value: mean current density over
    the interface plane [A/m²]) or "potentiostatic" (value: cell voltage [V]) control."""

    def __init__(self, problem, mode: str, value: float):
        self.p, self.mode, self.value = problem, mode, value
        n = problem.n
        extra = 1 if problem.comm.rank == 0 else 0
        self.sizes = (n + extra, problem.ndofs + 1)
        self.nonfinite = False
        self.conductance = problem.sum(np.abs(problem.K.getDiagonal().array_r)) / max(
            problem.ndofs, 1)
        if mode == "galvanostatic":
            self.reference_current = abs(value) * problem.interface_area
        else:
            self.reference_current = abs(value) * self.conductance
        self.c = np.zeros(n)
        self.r = np.zeros(n)
        self.d = 1.0
        self.y2 = np.zeros(n)
        self.schur = 1.0

    def solve(self, prefix: str) -> tuple[np.ndarray, float, int]:
        """Run SNES; returns (φ over the owned dofs, V, Newton iterations)."""
        p = self.p
        snes = PETSc.SNES().create(p.comm)
        snes.setOptionsPrefix(prefix)
        snes.setType("newtonls")
        snes.getLineSearch().setType("bt")
        snes.setTolerances(rtol=p.numerics.newton_rtol,
                           atol=p.numerics.newton_atol * self.reference_current,
                           stol=1e-14, max_it=p.numerics.newton_max_iterations)
        jac = PETSc.Mat().createPython((self.sizes, self.sizes), self, comm=p.comm)
        jac.setUp()
        snes.setFunction(self.residual, self.create_vec())
        snes.setJacobian(self.jacobian, jac, jac)
        ksp = snes.getKSP()
        ksp.setType("preonly")
        ksp.getPC().setType("python")
        ksp.getPC().setPythonContext(self)
        x = self.create_vec()
        self.initial_guess(x)
        snes.solve(None, x)
        reason, its = snes.getConvergedReason(), snes.getIterationNumber()
        snes.destroy()
        if reason < 0 or self.nonfinite:
            raise SolverError(
                f"Newton solve of the current distribution did not converge after {its} "
                f"iterations (PETSc reason {reason}); try a smaller current density or a "
                f"finer interface mesh")
        phi, voltage = self.split(x)
        return phi, voltage, its

    def create_vec(self) -> PETSc.Vec:
        vec = PETSc.Vec().createMPI(self.sizes, comm=self.p.comm)
        vec.set(0.0)
        return vec

    def split(self, x: PETSc.Vec) -> tuple[np.ndarray, float]:
        a = x.array_r
        n = self.p.n
        voltage = self.p.comm.bcast(float(a[n]) if self.p.comm.rank == 0 else None, root=0)
        return a[:n].copy(), voltage

    def _join(self, y: PETSc.Vec, phi_part: np.ndarray, v_part: float) -> None:
        a = y.array
        a[: self.p.n] = phi_part
        if self.p.comm.rank == 0:
            a[self.p.n] = v_part

    def initial_guess(self, x: PETSc.Vec) -> None:
        p = self.p
        if self.mode == "galvanostatic":
            voltage = p.planar_voltage(self.value * p.interface_area / p.contact_area)
        else:
            voltage = self.value
        self._join(x, np.zeros(p.n), voltage)

    def _contact_law(self, phi: np.ndarray, voltage: float):
        p = self.p
        j, dj = p.working_current(phi, voltage)
        w = p.w_contact[p.contact]
        return w * j, w * dj

    def residual(self, snes, x: PETSc.Vec, f: PETSc.Vec) -> None:
        p = self.p
        phi, voltage = self.split(x)
        res = p.K_times(phi)
        flux, _ = self._contact_law(phi, voltage)
        res[p.contact] -= flux
        out, _ = p.counter_flux(phi)
        res[p.counter_nodes] += out
        if p.source is not None:
            res -= p.source
        res[p.dirichlet] = phi[p.dirichlet]
        if self.mode == "galvanostatic":
            res_v = p.sum(flux) - self.value * p.interface_area
        else:
            res_v = self.conductance * (voltage - self.value)
        bad = not (np.all(np.isfinite(res)) and np.isfinite(res_v))
        self.nonfinite = bool(p.comm.allreduce(bad, op=MPI.LOR))
        self._join(f, res, res_v)

    def jacobian(self, snes, x: PETSc.Vec, jac, pmat) -> None:
        p = self.p
        phi, voltage = self.split(x)
        _, dflux = self._contact_law(phi, voltage)
        diagonal = np.zeros(p.n)
        diagonal[p.contact] += dflux
        _, dout = p.counter_flux(phi)
        diagonal[p.counter_nodes] += dout
        p.set_operator(diagonal)
        self.c = np.zeros(p.n)
        self.c[p.contact] = -dflux
        self.c[p.dirichlet] = 0.0
        if self.mode == "galvanostatic":
            self.r, self.d = self.c.copy(), p.sum(dflux)
        else:
            self.r, self.d = np.zeros(p.n), self.conductance
        self.y2 = p.linear_solve(self.c)
        self.schur = self.d - p.sum(self.r * self.y2)

    # PETSc python-Mat interface: the bordered Jacobian.
    def mult(self, mat, x: PETSc.Vec, y: PETSc.Vec) -> None:
        xp, xv = self.split(x)
        yp = self.p.apply_operator(xp) + self.c * xv
        self._join(y, yp, self.p.sum(self.r * xp) + self.d * xv)

    def multTranspose(self, mat, x: PETSc.Vec, y: PETSc.Vec) -> None:
        xp, xv = self.split(x)  # A is symmetric
        yp = self.p.apply_operator(xp) + self.r * xv
        self._join(y, yp, self.p.sum(self.c * xp) + self.d * xv)

    # PETSc python-PC interface: exact inverse of the bordered Jacobian.
    def apply(self, pc, x: PETSc.Vec, y: PETSc.Vec) -> None:
        xp, xv = self.split(x)
        y1 = self.p.linear_solve(xp)
        yv = (xv - self.p.sum(self.r * y1)) / self.schur
        self._join(y, y1 - self.y2 * yv, yv)
