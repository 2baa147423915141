"""Distribution of relaxation times (DRT) of a computed spectrum with pyimpspec (V. Yrjänä,
PyPI ``pyimpspec``, maintained), an optional dependency: ``pip install "lisse[drt]"`` (or
``.[drt]`` from a checkout).

The spectrum is written as a series resistance plus a continuous distribution of R‖C
elements over the time constant τ,

    Z(ω) = R_∞ + ∫ γ(ln τ) / (1 + iωτ) d ln τ,

and γ [Ω cm²] is found by pyimpspec's TR-NNLS method (Tikhonov regularisation with a
non-negative least-squares solve; the regularisation parameter is chosen by pyimpspec).
Each arc of the spectrum is a peak of γ at its time constant τ_k = R_k C_k; the area under a
peak is that arc's resistance R_k, and the whole area ∫ γ d ln τ = Z(0) − R_∞ is the
polarisation resistance. Spectra are analysed in the units of ``impedance.csv`` (Ω cm²).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lisse.solver.errors import UserError


@dataclass(frozen=True)
class RelaxationTimes:
    """The DRT of a spectrum: γ [Ω cm²] on the τ grid [s], its peaks (time constants τ_k [s]
    and resistances R_k [Ω cm²], the areas of Gaussians fitted to the peaks) and the whole
    area ∫ γ d ln τ [Ω cm²] (the polarisation resistance)."""

    time_constants_s: np.ndarray
    gamma_ohm_cm2: np.ndarray
    peak_time_constants_s: tuple[float, ...]
    peak_resistances_ohm_cm2: tuple[float, ...]
    polarisation_ohm_cm2: float


def relaxation_times(frequency_Hz, z_ohm_cm2) -> RelaxationTimes:
    """The DRT of the complex spectrum ``z_ohm_cm2`` [Ω cm²] at ``frequency_Hz`` [Hz]."""
    try:
        import pyimpspec
    except ImportError as exc:
        raise UserError("the distribution of relaxation times needs the optional dependency "
                        "pyimpspec: pip install \"lisse[drt]\"") from exc
    data = pyimpspec.DataSet(frequencies=np.asarray(frequency_Hz, dtype=float),
                             impedances=np.asarray(z_ohm_cm2, dtype=complex))
    result = pyimpspec.calculate_drt(data, method="tr-nnls")
    tau = np.asarray(result.get_time_constants(), dtype=float)
    gamma = np.asarray(result.get_gammas(), dtype=float)
    peaks = result.analyze_peaks().to_peaks_dataframe()
    order = np.argsort(peaks["tau (s)"].to_numpy())
    return RelaxationTimes(
        tau, gamma,
        tuple(float(v) for v in peaks["tau (s)"].to_numpy()[order]),
        tuple(float(v) for v in peaks["R_peak (ohm)"].to_numpy()[order]),
        float(abs(np.trapezoid(gamma, np.log(tau)))))
