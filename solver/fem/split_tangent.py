"""Tangent assembly with a fixed part assembled once: A = A_fixed + A_varying(state).

The Newton tangent of the cell mechanics (``solver.physics.mechanics``) is the sum of the
linear-elastic electrolyte regions, whose stiffness

    A_fixed = ∫_SSE ε(δu) : C_SSE : ε(v) r dV

does not depend on the state, and of the Li (creep tangent at the quadrature points) and the
contact penalty, which change at every Newton iteration. ``SplitTangent`` assembles A_fixed
once into a matrix of its own sparsity (the electrolyte cells' couplings, a subset of A's)
and, at each Newton iteration, only the varying part into A, then adds A_fixed
(``MatAXPY``, subset pattern). Dirichlet rows and columns are zeroed in both parts and the
unit diagonal is set by the varying part's assembly, whose pattern (A's) holds every
diagonal entry, so the sum is the matrix a full assembly gives, up to the order of the
floating-point sums (``tests/unit/test_split_tangent.py``). Cost and gain in the 3D
benchmark at 1,069,563 unknowns (docs/benchmarks.md, issue 16, sixth pass): 5 tangent
assemblies of a creep step 43.3 → 20.9 s CPU, for 0.6 GB more memory (the stored A_fixed).
"""

from __future__ import annotations

from dolfinx import cpp as _cpp
from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc
from dolfinx.fem.assemble import pack_coefficients, pack_constants
from petsc4py import PETSc


class SplitTangent:
    """whole: the compiled tangent form; fixed, varying: compiled bilinear forms on the same
    space whose sum is ``whole``; bcs: the Dirichlet conditions of its rows and columns (unit
    diagonal)."""

    def __init__(self, whole: fem.Form, fixed: fem.Form, varying: fem.Form, bcs: list):
        self.whole, self.fixed_form, self.varying, self.bcs = whole, fixed, varying, bcs
        self.fixed: PETSc.Mat | None = None

    def assemble(self, A: PETSc.Mat) -> None:
        """A = A_fixed + A_varying(current state); A: ``create_matrix`` of the whole form.

        The first call assembles the whole form (PETSc drops the preallocated entries an
        assembly leaves unset: the varying part alone would shrink A's pattern to its own)
        and A_fixed, the later ones only the varying part."""
        A.zeroEntries()
        if self.fixed is None:
            fem_petsc.assemble_matrix(A, self.whole, bcs=self.bcs)
            A.assemble()
            self.fixed = fem_petsc.create_matrix(self.fixed_form)
            # zeroed Dirichlet rows and columns, no diagonal (the varying part sets it)
            _cpp.fem.petsc.assemble_matrix(
                self.fixed, self.fixed_form._cpp_object, pack_constants(self.fixed_form),
                pack_coefficients(self.fixed_form), [bc._cpp_object for bc in self.bcs])
            self.fixed.assemble()
            return
        fem_petsc.assemble_matrix(A, self.varying, bcs=self.bcs)
        A.assemble()
        A.axpy(1.0, self.fixed, structure=PETSc.Mat.Structure.SUBSET_NONZERO_PATTERN)
