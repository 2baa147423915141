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
``apply_operator``, ``planar_voltage`` and ``ohmic_share``.

Honesty: a solve is converged only when the residual (a nodal current imbalance [A]) is
below max(atol, rtol·I), I the cell current (``BorderedNewton.converged``); anything else
(non-finite currents, a stalled residual, a tolerance below rounding) is a SolverError
(``BorderedNewton.check``), never a result.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI
from petsc4py import PETSc

from lisse.solver.errors import SolverError

STOL = 1e-14  # a Newton step below STOL·‖x‖ changes nothing in double precision
STEP_SIZE_STOP = 4  # SNES_CONVERGED_SNORM_RELATIVE: the Newton step fell below stol·‖x‖
STALL_RATIO = 1e-6  # a residual reduced this far, then stalled, is at rounding level
LINE_SEARCH_FAILED = -6  # SNES_DIVERGED_LINE_SEARCH: no step lowers the residual


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
        self.current = 0.0  # cell current of the latest residual evaluation [A]

    def solve(self, prefix: str) -> tuple[np.ndarray, float, int]:
        """Run SNES; returns (φ over the owned dofs, V, Newton iterations)."""
        p = self.p
        snes = PETSc.SNES().create(p.comm)
        snes.setOptionsPrefix(prefix)
        snes.setType("newtonls")
        snes.getLineSearch().setType("bt")
        snes.setTolerances(rtol=p.numerics.newton_rtol,
                           atol=p.numerics.newton_atol * self.reference_current,
                           stol=STOL, max_it=p.numerics.newton_max_iterations)
        snes.setConvergenceTest(self.converged)
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
        snes.setConvergenceHistory()
        snes.solve(None, x)
        reason, its = snes.getConvergedReason(), snes.getIterationNumber()
        history = snes.getConvergenceHistory()[0]
        atol = snes.getTolerances()[1]
        snes.destroy()
        self.check(reason, its, np.asarray(history, dtype=float), atol)
        phi, voltage = self.split(x)
        return phi, voltage, its

    def current_scale(self) -> float:
        """The current the residual is measured against [A] (per radian if axisymmetric):
        the applied current (galvanostatic) or the cell current of the latest iterate
        (potentiostatic), at least the absolute tolerance's reference current."""
        return max(self.reference_current, abs(self.current))

    def converged(self, snes, it: int, norms) -> int:
        """SNES convergence test: ‖F‖ ≤ max(atol, rtol·I) with I the current scale.

        ‖F‖ is a nodal current imbalance [A], so the relative tolerance is a fraction of the
        current through the cell, not of the initial residual: a far start (φ = 0 under
        V = 2 V puts all of it on the interface, ‖F₀‖ ~ exp(αF·2V/RT)) cannot make a
        residual of 10⁷ mA/cm² look converged."""
        _, step, fnorm = norms
        rtol, atol, stol, max_it = snes.getTolerances()[:4]
        xnorm = snes.getSolution().norm()
        if not np.isfinite(fnorm):
            return PETSc.SNES.ConvergedReason.DIVERGED_FNORM_NAN
        if fnorm <= atol:
            return PETSc.SNES.ConvergedReason.CONVERGED_FNORM_ABS
        if fnorm <= rtol * self.current_scale():
            return PETSc.SNES.ConvergedReason.CONVERGED_FNORM_RELATIVE
        if it > 0 and step <= stol * xnorm:
            return PETSc.SNES.ConvergedReason.CONVERGED_SNORM_RELATIVE
        if it >= max_it:
            return PETSc.SNES.ConvergedReason.DIVERGED_MAX_IT
        return PETSc.SNES.ConvergedReason.CONVERGED_ITERATING

    def check(self, reason: int, its: int, history: np.ndarray, atol: float) -> None:
        """Raise SolverError unless the solve converged by its residual.

        Converged means ‖F‖ ≤ max(atol, rtol·I) at the end (``converged``), or a step-size
        stop (‖δx‖ < stol‖x‖) with ‖F‖ ≤ ``STALL_RATIO``·I (the floor of double precision).
        Any other end is a failure: a non-finite residual (an exp(αFη/RT) overflow,
        η ≳ 30 V), a residual that stalled far from zero, or a residual that stalled at
        rounding level (or whose line search failed there) above a too strict ``rtol``.
        """
        rtol = self.p.numerics.newton_rtol
        final = history[-1] if len(history) else np.nan
        ratio = final / self.current_scale()
        if self.nonfinite or not np.isfinite(final):
            raise SolverError(
                f"Newton solve of the current distribution diverged after {its} iterations "
                "(non-finite current: the interface overpotential overflows the kinetics); "
                "lower the applied current or voltage")
        if reason > 0 and (final <= max(atol, rtol * self.current_scale())
                           or (reason == STEP_SIZE_STOP and ratio <= STALL_RATIO)):
            return
        tail = history[-3:]
        # at rounding level: the residual stalls, or no Newton step can lower it any more
        if ratio <= STALL_RATIO and (tail.max() <= 10 * tail.min()
                                     or reason == LINE_SEARCH_FAILED):
            floor = 10.0 ** np.ceil(np.log10(ratio) + 1)
            raise SolverError(
                f"numerics.newton_rtol {rtol:g} cannot be reached in double precision for "
                f"this problem (the residual stalls at {ratio:.1e} of the cell current); "
                f"use >= {floor:g}")
        state = "stagnated" if reason > 0 else "did not converge"
        raise SolverError(
            f"Newton solve of the current distribution {state} after {its} iterations "
            f"(residual {ratio:.1e} of the cell current, PETSc reason {reason}); try a "
            "smaller current density or voltage, or a finer interface mesh")

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
            self._join(x, np.zeros(p.n), voltage)
        else:  # all of V across the electrolyte: the kinetics start near equilibrium
            self._join(x, self.value * p.ohmic_share(), self.value)

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
        self.current = p.sum(flux)
        if self.mode == "galvanostatic":
            res_v = self.current - self.value * p.interface_area
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
