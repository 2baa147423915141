"""The state of the working-electrode contact that the interface law reads.

One value per node of the current-distribution space (owned dofs, lumped nodal weights,
``lisse.solver.physics.current``); nodes off the Li/electrolyte interface carry neutral
values. Every interface physics writes its part of this one object, and the Butler–Volmer
(or linear) law reads it:

    j = i0 · f_i0 · [exp(αa F η/RT) − exp(−αc F η/RT)],   η = (φ_Li − φ) − U − j (R_f + R_s)

* ``contact`` s ∈ [0, 1]: the share of the node's interface-plane area in contact (the rest
  is insulating void floor); written by the mechanics hold (voids whose roof crept shut)
  and by interface evolution (gaps and pores);
* ``shift`` U [V]: shift of the equilibrium potential, −Ω Δp/F from the Li pressure
  (stress-coupled kinetics, Monroe & Newman 2005; docs/theory.md);
* ``i0_factor`` f_i0 [-]: factor on the exchange current density (on the conductance 1/Z
  for linear kinetics), exp((1 − αa) Ω Δp/RT) with stress coupling;
* ``film_resistance`` R_s [Ω m²]: a series film resistance on top of the kinetics' own R_f
  (a growing interphase writes it, ``lisse.solver.physics.interphase``);
* ``film_capacitance`` C_s [F/m²] (None: no film capacitance): the film's dielectric
  capacitance ε/L in parallel with R_s, read only by the small-signal impedance
  (Z_s = R_s/(1 + iω R_s C_s)); a steady current sees R_s alone.

A new interface physics is one module that computes these fields plus one config block;
the current distribution needs no change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class InterfaceState:
    """Per-node interface fields (arrays of the owned dofs; see the module docstring)."""

    contact: np.ndarray
    shift: np.ndarray
    i0_factor: np.ndarray
    film_resistance: np.ndarray
    film_capacitance: np.ndarray | None = None

    @classmethod
    def neutral(cls, contact: np.ndarray) -> InterfaceState:
        """No shift, unit factor, no extra film, the given contact shares."""
        n = len(contact)
        return cls(np.asarray(contact, dtype=float), np.zeros(n), np.ones(n), np.zeros(n))

    def with_(self, **fields) -> InterfaceState:
        """A copy with some fields replaced (arrays are copied and checked)."""
        new = {k: np.array(v, dtype=float, copy=True) for k, v in fields.items()}
        for name, value in new.items():
            if value.shape != self.contact.shape:
                raise ValueError(f"interface state {name}: shape {value.shape}, "
                                 f"expected {self.contact.shape}")
        return replace(self, **new)
