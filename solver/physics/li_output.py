"""Stress and strain fields of the creeping Li body for the ParaView output (issue 12,
docs/moving_interface.md "Li fields in fields.xdmf").

From the Li's last converged flow (v, q) of ``solver.physics.lithium_body`` (solved on the
step's midpoint configuration, and evaluated there), with ε̇ = sym ∇v (axisymmetric:
plus the hoop rate v_r/r), ε̇_eq = sqrt((2/3) ε̇:ε̇) [1/s] and the flow potential's stress

    s = (2/3) S̄ (ε̇_eq²/ε̇0² + δ²)^((1−n)/(2n)) ε̇/ε̇0 · σ0,   σ = s − q I   [Pa]

(S̄ = S/σ0 the per-cell strength, 1 for the power law; δ the body's regularisation), the
fields are the von Mises stress σ_eq = sqrt((3/2) dev σ : dev σ) [Pa], the mean stress
p = −tr σ / 3 [Pa] (compression positive; = q where ∇·v = 0), ε̇_eq [1/s], the accumulated
equivalent (creep = plastic, the Li is viscous) strain ε_eq = Σ_steps ε̇_eq Δt [-] and, with
``lithium.creep_law: anand``, the deformation resistance S [Pa].

Values at the Li mesh vertices: each field f is projected onto the P1 space of the Li mesh by
the lumped (row-sum) L² projection f_i = ∫ f φ_i dx / ∫ φ_i dx (no solve; reproduces a
constant field exactly and gives the same values for any partition). ε_eq is accumulated per
P1 node, each step with the step's midpoint rate (``LithiumBody.step_hooks``; the rate of the
accepted try only, ``commit``). The nodes move with the Li, but the ALE smoothing of the Li
mesh (``li_smoothing``) moves them also relative to the material: ε_eq then is the strain
accumulated along the node's path, not a material point's, an approximation where the
smoothing moves nodes (near a closing void's tip); without smoothing (Anand) it is the
material strain to the projection error.
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import fem, la

from lisse.solver.physics.li_hardening import Hardening
from lisse.solver.physics.lithium_body import LithiumBody, strain_rate


class LiOutput:
    """Point data of the Li body's stress and strain (module docstring)."""

    def __init__(self, body: LithiumBody):
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
        self.hardening = next((h.__self__ for h in body.step_hooks
                               if isinstance(getattr(h, "__self__", None), Hardening)), None)
        if self.hardening is not None:
            expressions["li_deformation_resistance_Pa"] = (
                self.hardening.s0 * body.strength)
        self._forms = {name: fem.form(f * test * dx) for name, f in expressions.items()}
        self._lumped = fem.form(test * dx)  # ∫ φ_i dx, on the present configuration
        self.strain = np.zeros(len(self._assemble(self._lumped)))  # ε_eq per P1 dof (+ ghosts)
        self._pending, self._last = {}, {}  # {name: P1 values} of the last try / accepted step
        self._dof = self._vertex_dofs()
        # one LiOutput per body: a new run on the same (reset) body replaces the last one's
        body.step_hooks[:] = [h for h in body.step_hooks
                              if not isinstance(getattr(h, "__self__", None), LiOutput)]
        body.step_hooks.insert(0, self._accumulate)  # before Hardening updates S

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
        """∫ f φ_i dx at the P1 dofs (local + ghost; contributions of every rank summed)."""
        vec = fem.assemble_vector(form)
        vec.scatter_reverse(la.InsertMode.add)
        vec.scatter_forward()
        return vec.array.copy()

    def _accumulate(self, dt: float) -> None:
        """Step hook: the fields of the try's flow on its midpoint configuration (where the
        flow was solved) and its strain increment ε̇_eq Δt."""
        lumped = self._assemble(self._lumped)
        self._pending = {name: self._assemble(form) / lumped for name, form in self._forms.items()}

    def commit(self, dt: float) -> None:
        """The accepted step (length dt [s], after its last try): its fields become the
        output and ε̇_eq Δt is added to ε_eq."""
        self._last = self._pending
        self.strain += self._last["li_equivalent_strain_rate_1_s"] * dt

    def fields(self, vertices: np.ndarray) -> dict[str, np.ndarray]:
        """{name: values at the geometry nodes ``vertices``}: the fields of the last accepted
        step's flow (zero before the first step) and ε_eq."""
        dofs = self._dof[vertices]
        out = {name: self._last.get(name, np.zeros(len(self.strain)))[dofs]
               for name in self._forms}
        out["li_equivalent_strain"] = self.strain[dofs]
        return out
