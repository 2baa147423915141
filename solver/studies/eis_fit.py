"""Equivalent-circuit fitting of a spectrum with impedance.py (Murbach et al., J. Open Source
Softw. 5, 2349 (2020); PyPI ``impedance``), an optional dependency: ``pip install
"lisse[fit]"`` (or ``.[fit]`` from a checkout).

The circuit is written in impedance.py's syntax, e.g. ``"R0-p(R1,C1)-p(R2,C2)"`` (series
``-``, parallel ``p(,)``; elements R, C, CPE, W, ...). Spectra are fitted in the units of
``impedance.csv``, so resistances come out in Ω cm² and capacitances in F/cm².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lisse.solver.errors import UserError


@dataclass(frozen=True)
class CircuitFit:
    """The fitted circuit: element names, values (Ω cm², F/cm², ...), their one-sigma
    confidence, and the largest relative misfit max |Z_fit − Z|/|Z| over the spectrum."""

    circuit: str
    names: tuple[str, ...]
    values: tuple[float, ...]
    sigmas: tuple[float, ...]
    max_relative_misfit: float

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.values, strict=True))


def fit_circuit(frequency_Hz, z_ohm_cm2, circuit: str, initial_guess) -> CircuitFit:
    """Least-squares fit of ``circuit`` to the complex spectrum ``z_ohm_cm2`` [Ω cm²] at
    ``frequency_Hz`` [Hz], from ``initial_guess`` (one value per element parameter)."""
    try:
        from impedance.models.circuits import CustomCircuit
    except ImportError as exc:
        raise UserError("equivalent-circuit fitting needs the optional dependency "
                        "impedance.py: pip install \"lisse[fit]\"") from exc
    frequency = np.asarray(frequency_Hz, dtype=float)
    z = np.asarray(z_ohm_cm2, dtype=complex)
    model = CustomCircuit(circuit, initial_guess=list(initial_guess))
    model.fit(frequency, z)
    fitted = model.predict(frequency)
    names, _ = model.get_param_names()
    sigmas = model.conf_ if model.conf_ is not None else np.full(len(names), np.nan)
    return CircuitFit(circuit, tuple(names), tuple(float(v) for v in model.parameters_),
                      tuple(float(s) for s in sigmas),
                      float(np.max(np.abs(fitted - z) / np.abs(z))))
