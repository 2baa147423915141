"""Sticking (no-slip) contact of the creeping Li body (``evolution.contact: sticking``).

The frictionless contact of ``solver.physics.lithium_body`` constrains only the normal
(y; axisymmetric: z; 3D: z) velocity of the active obstacle dofs: v_y,i = −y_i/Δt, so that they land
on the plane y = 0 at the end of the step. Sticking holds, at the same active dofs, the
tangential velocity components at zero as well,

    v_t,i = 0   (plane strain and axisymmetric: v_x = v_r = 0; 3D, z up: v_x = v_y = 0),

so a Li node that touches the electrolyte does not slide while in contact (unlimited
friction, no slip). Entry and release stay those of the unilateral contact: a dof enters
when it would penetrate, and leaves when its normal reaction R_i (the residual of the
unconstrained y equation, positive in compression) turns tensile; the tangential reaction
(the shear the obstacle exerts) is not bounded, as for a Coulomb law with μ_f → ∞.

Error of the formulation (besides the nodal constraint of the frictionless contact): a
dof that enters contact during a step is held tangentially over the whole step, not only
from the instant it touches: its tangential displacement in that step, at most Δt·|v_t|,
is lost (O(Δt) in the position of a contact front that advances; nothing for dofs that
stay in contact or stay free).

``Sticking(body)`` joins ``body.contact_hooks``: called with the active set, it returns the
extra Dirichlet conditions (tangential components of the active dofs held at 0: one in 2D,
two in 3D; verified in tests/verification/test_li_sticking.py and test_li_sticking_3d.py).
"""

from __future__ import annotations

import numpy as np
from dolfinx import fem


class Sticking:
    """The tangential no-slip constraints of a ``LithiumBody``'s active obstacle dofs."""

    def __init__(self, body):
        up, size = body.up, body.up + 1
        # mixed-space dof of every (velocity block, component): local + ghost, block-major
        blocks = np.asarray(body._velocity_dofs).reshape(-1, size)
        where = np.full(int(blocks.max(initial=-1)) + 1, -1, dtype=np.int64)
        where[blocks[:, up]] = np.arange(len(blocks))
        block = where[body._obstacle[0]]  # the velocity block of each obstacle y-dof
        self.components = []
        for component in range(size):
            if component == up:
                continue
            sub = body.space.sub(0).sub(component)
            collapsed, to_mixed = sub.collapse()
            inverse = np.full(int(np.max(to_mixed, initial=-1)) + 1, -1, dtype=np.int64)
            inverse[np.asarray(to_mixed)] = np.arange(len(to_mixed))
            mixed = blocks[block, component].astype(np.int32)
            self.components.append((sub, fem.Function(collapsed), mixed,
                                    inverse[mixed].astype(np.int32)))
        body.contact_hooks.append(self.constraints)

    def constraints(self, active: np.ndarray) -> list:
        """Dirichlet conditions v_t = 0 at the active obstacle dofs (one per tangential
        component)."""
        return [fem.dirichletbc(zero, [mixed[active], collapsed[active]], sub)
                for sub, zero, mixed, collapsed in self.components]
