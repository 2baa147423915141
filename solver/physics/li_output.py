"""Stress and strain fields of the creeping Li body for the ParaView output (issue 12,
docs/moving_interface.md "Li fields in fields.xdmf").

From the Li's last accepted flow (v, q) of ``solver.physics.lithium_body`` (solved on the
step's midpoint configuration, and evaluated there), with ε̇ = sym ∇v (axisymmetric:
plus the hoop rate v_r/r), ε̇_eq = sqrt((2/3) ε̇:ε̇) [1/s] and the flow potential's stress

    s = (2/3) S̄ (ε̇_eq²/ε̇0² + δ²)^((1−n)/(2n)) ε̇/ε̇0 · σ0,   σ = s − q I   [Pa]

(S̄ = S/σ0 the per-cell strength of the step's flow, 1 for the power law; δ the body's
regularisation), the fields are the von Mises stress σ_eq = sqrt((3/2) dev σ : dev σ) [Pa],
the mean stress p = −tr σ / 3 [Pa] (compression positive; = q where ∇·v = 0), ε̇_eq [1/s],
the accumulated equivalent (creep = plastic, the Li is viscous) strain
ε_eq = Σ_steps ε̇_eq Δt [-] and, with ``lithium.creep_law: anand``, the deformation
resistance S [Pa] of the step's flow (its start-of-step value).

Cost and parallel safety. ``commit`` (after every accepted step, on every rank) only keeps
the step's midpoint configuration x_mid = x_end − (Δt/2) v and its start-of-step S̄, and adds
ε̇_eq Δt per cell (DG0, ε̇_eq interpolated at the cell's midpoint on x_mid: a local
evaluation, no communication). The stress fields are assembled only when a snapshot is
written (``fields``, called on every rank), on x_mid with that S̄. Nothing is registered in
``LithiumBody.step_hooks``: a hook holding this object would make a reference cycle
body → hook → output → body, and a body in a cycle is freed by Python's cyclic garbage
collector, whose run differs between ranks; its PETSc objects (the flow's SNES, MUMPS
factors) are destroyed collectively, so a 2-rank multi-point study deadlocked in the next
body's construction (or paired the destroy's collectives with another call's).

Values at the Li mesh vertices: each field f is projected onto the P1 space of the Li mesh by
the lumped (row-sum) L² projection f_i = ∫ f φ_i dx / ∫ φ_i dx (no solve; reproduces a
constant field exactly and gives the same values for any partition); ε_eq on the present
configuration, the others on x_mid. The cells move with the Li, but the ALE smoothing of the
Li mesh (``li_smoothing``) moves them also relative to the material: ε_eq then is the strain
accumulated along the cell's path, not a material point's, an approximation where the
smoothing moves nodes (near a closing void's tip); without smoothing (Anand) it is the
material strain to the projection error.
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import fem, la

from lisse.solver.physics.lithium_body import LithiumBody, strain_rate


class LiOutput:
    """Point data of the Li body's stress and strain (module docstring); ``hardening``: the
    body's strength is Anand's S/σ0 (``li_hardening``), written as S [Pa]."""

    def __init__(self, body: LithiumBody, hardening: bool = False):
        self.body = body
        msh = body.msh
        self.space = fem.functionspace(msh, ("Lagrange", 1))
        test = ufl.TestFunction(self.space)
        dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 4})
        v, q = ufl.split(body.w)
        eps = strain_rate(v, ufl.SpatialCoordinate(msh)[0], body.axisymmetric)
        eq2 = 2.0 / 3.0 * ufl.inner(eps, eps)
        n, scale = body.n, body.stress_scale  # stresses scaled by S, rates by R
        s = 2.0 / 3.0 * body.strength * (eq2 + body.delta**2) ** ((1 - n) / (2 * n)) * eps
        sigma = scale * (s - q * ufl.Identity(3))
        dev = ufl.dev(sigma)
        expressions = {
            "li_von_mises_stress_Pa": ufl.sqrt(1.5 * ufl.inner(dev, dev)),
            "li_mean_stress_Pa": -ufl.tr(sigma) / 3.0,
            "li_equivalent_strain_rate_1_s": body.rate_scale * ufl.sqrt(eq2),
        }
        if hardening:
            expressions["li_deformation_resistance_Pa"] = body.reference_stress * body.strength
        self._forms = {name: fem.form(f * test * dx) for name, f in expressions.items()}
        cells = body.strength.function_space  # DG0
        self._rate = fem.Expression(ufl.sqrt(eq2), cells.element.interpolation_points)
        self._cell_rate = fem.Function(cells)
        self.strain = fem.Function(cells)  # ε_eq per cell [-]
        self._strain_form = fem.form(self.strain * test * dx)
        self._lumped = fem.form(test * dx)  # ∫ φ_i dx, on the present configuration
        self._step = None  # (x_mid, S̄) of the last accepted step
        self._dof = self._vertex_dofs()

    def _vertex_dofs(self) -> np.ndarray:
        """For every geometry node that is a vertex, its P1 dof (cell by cell, the first
        geometry nodes are the vertices in the P1 dofs' reference order); −1 elsewhere."""
        geo = self.body.msh.geometry
        dofs = self.space.dofmap.list
        nodes = geo.dofmaps[0][:, : dofs.shape[1]]
        mapping = np.full(geo.x.shape[0], -1, dtype=np.int64)
        mapping[nodes.ravel()] = dofs.ravel()
        return mapping

    def _assemble(self, form) -> np.ndarray:
        """∫ f φ_i dx at the P1 dofs (local + ghost; contributions of every rank summed).
        Collective."""
        vec = fem.assemble_vector(form)
        vec.scatter_reverse(la.InsertMode.add)
        vec.scatter_forward()
        return vec.array.copy()

    def commit(self, dt: float, strength: np.ndarray) -> None:
        """After an accepted step of length ``dt`` [s] whose flow used the per-cell strength
        ``strength`` (S̄ at its start): keep x_mid and S̄, add ε̇_eq Δt per cell. Local (no
        communication); the mesh must still be the step's end configuration."""
        body, x = self.body, self.body.msh.geometry.x
        up = body.up
        middle = x.copy()
        middle[:, :up + 1] -= 0.5 * dt * body.velocity()[body._node_to_dof]
        self._step = (middle, np.array(strength, copy=True))
        end = x.copy()
        x[:] = middle
        self._cell_rate.interpolate(self._rate)
        x[:] = end
        self.strain.x.array[:] += np.abs(self._cell_rate.x.array) * body.rate_scale * dt

    def state(self) -> dict[str, np.ndarray]:
        """What ``restore`` needs to undo later steps (the engine's cut-backs), as arrays
        (x_mid and S̄ empty before the first step): ε_eq per cell, x_mid, S̄."""
        middle, strength = self._step or (np.zeros((0, 3)), np.zeros(0))
        return {"li_strain": self.strain.x.array.copy(), "li_middle": middle,
                "li_strength": strength}

    def restore(self, state: dict) -> None:
        """Back to ``state`` (``state()``); pops its entries."""
        self.strain.x.array[:] = state.pop("li_strain")
        middle, strength = state.pop("li_middle"), state.pop("li_strength")
        self._step = (middle, strength) if middle.size else None

    def fields(self, vertices: np.ndarray) -> dict[str, np.ndarray]:
        """{name: values at the geometry nodes ``vertices``}: ε_eq and the fields of the last
        accepted step's flow (zero stresses and rate before the first step: no flow).
        Collective: every rank calls it at the same snapshots."""
        body, dofs = self.body, self._dof[vertices]
        out = {"li_equivalent_strain": (self._assemble(self._strain_form)
                                        / self._assemble(self._lumped))[dofs]}
        x, strength = body.msh.geometry.x, body.strength.x.array
        saved = (x.copy(), strength.copy())
        if self._step is not None:
            x[:], strength[:] = self._step
        try:
            lumped = self._assemble(self._lumped)
            out |= {name: (self._assemble(form) / lumped)[dofs]
                    for name, form in self._forms.items()}
        finally:
            x[:], strength[:] = saved
        return out
