"""When to rebuild the AMG hierarchy of a sequence of Newton steps.

A time-stepped Newton solve (the cell mechanics, ``solver.physics.mechanics``) reuses the AMG
hierarchy of a step's first iteration in the step's later iterations. ``AmgReuse`` also keeps
it from one step to the next and rebuilds it at a step's first iteration only when the
previous step's linear solves converged more slowly than those of the step it was built in:

    rate = Σ CG iterations / Σ log10(1/η)   (CG iterations per decade of residual reduction,
                                             η the relative tolerance of each solve)
    rebuild when rate_previous > REBUILD · rate_built,

and after a failed step. The numeric set-up of GAMG (the Galerkin products PᵀAP of the
coarse operators; the interpolation itself is reused, ``pc_gamg_reuse_interpolation``) was
13 % of a creep step at 163,731 unknowns, and a hierarchy built on the elastic operator
preconditions the creep tangents of later steps about as well as their own: at 63,189
unknowns, creep steps of 1, 1, 2, 4, 8, 16, 64, 256 s took 63, 63, 70, 79, 100, 112, 166, 293
CG iterations with the elastic step's hierarchy against 63, 61, 68, 75, 96, 108, 157, 274
with a new one per step (docs/benchmarks.md, issue 16). A tangent whose character changes
(e.g. a void roof that closes adds the contact penalty) slows the solves and brings a rebuild.
``reuse_hierarchy`` keeps or drops a hierarchy for a changed operator.
"""

from __future__ import annotations

import math

from petsc4py import PETSc

REBUILD = 1.5  # rebuild when CG iterations per decade exceed this × those of the build step


class AmgReuse:
    """Book-keeping of one Newton solver's AMG hierarchy across its steps."""

    def __init__(self):
        self.built_rate: float | None = None  # rate of the step the hierarchy was built in
        self.rate: float | None = None  # rate of the last completed step
        self._built = False
        self._its, self._decades = 0, 0.0

    def rebuild(self) -> bool:
        """At a step's first Newton iteration: True if the hierarchy is to be built anew."""
        self._built = (self.built_rate is None or self.rate is None
                       or self.rate > REBUILD * self.built_rate)
        self._its, self._decades = 0, 0.0
        return self._built

    def record(self, iterations: int, rtol: float) -> None:
        """Count one linear solve of ``iterations`` CG iterations to relative tolerance rtol."""
        self._its += iterations
        self._decades += math.log10(1 / rtol)

    def end_step(self, converged: bool) -> None:
        """Close a step: its rate, or, if it failed, a rebuild at the next one."""
        if not converged:
            self.built_rate = None
        elif self._decades > 0:  # (a step that converged without a solve tells nothing)
            self.rate = self._its / self._decades
            if self._built:
                self.built_rate = self.rate
        self._built, self._its, self._decades = False, 0, 0.0


def reuse_hierarchy(pc: PETSc.PC, reuse: bool) -> None:
    """Keep (``reuse``) or rebuild at the next solve the AMG hierarchy of ``pc`` (a set-up
    GAMG of ``solver.fem.linear.displacement_amg_options``) for its changed operator. Kept,
    the coarse operators stay those of the build, and the finest level's Schwarz smoother
    copies the current operator's subdomain matrices anew (its set-up, allowed for the
    moment, sees the operator changed; the coarser levels' set-up sees theirs unchanged
    and does nothing; ``setReusePreconditioner`` on the GAMG also stops its levels'
    set-up). Without that copy the smoother used the build's operator and the benchmark's
    creep step took 90 instead of 78 CG iterations at 164,043 unknowns."""
    pc.setReusePreconditioner(reuse)
    if reuse:
        for level in range(pc.getMGLevels()):
            smoother = pc.getMGSmoother(level).getPC()
            smoother.setReusePreconditioner(False)
            smoother.setUp()
            smoother.setReusePreconditioner(True)
