"""Linear-solver options shared by the physics: MUMPS LU for small systems, CG with
smoothed-aggregation AMG (GAMG, Chebyshev–Jacobi smoothing) otherwise."""

from __future__ import annotations

from lisse.solver.config.params import Numerics


def is_direct(numerics: Numerics, ndofs: int) -> bool:
    """True if the system of ``ndofs`` global unknowns is solved by LU."""
    return numerics.linear_solver == "direct" or (
        numerics.linear_solver == "auto" and ndofs <= numerics.direct_max_dofs)


def krylov_options(prefix: str, numerics: Numerics, ndofs: int, max_it: int = 1000) -> dict:
    """PETSc options (with ``prefix``) of an SPD system of ``ndofs`` global unknowns."""
    if is_direct(numerics, ndofs):
        return {f"{prefix}ksp_type": "preonly", f"{prefix}pc_type": "lu",
                f"{prefix}pc_factor_mat_solver_type": "mumps"}
    return {f"{prefix}ksp_type": "cg", f"{prefix}pc_type": "gamg",
            f"{prefix}ksp_rtol": numerics.krylov_rtol, f"{prefix}ksp_atol": 1e-300,
            f"{prefix}ksp_max_it": max_it, f"{prefix}ksp_norm_type": "unpreconditioned",
            f"{prefix}pc_gamg_coarse_eq_limit": 1000, f"{prefix}mg_levels_ksp_type": "chebyshev",
            f"{prefix}mg_levels_pc_type": "jacobi"}
