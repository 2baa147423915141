"""Nyquist and Bode plots of an impedance spectrum (matplotlib, Agg)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def nyquist(path, frequency: np.ndarray, z: np.ndarray) -> None:
    """−Z″ against Z′ [Ω cm²] on equal axes, with the frequency decades marked."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    ax.plot(z.real, -z.imag, "o-", ms=3, lw=1.5)
    decades = np.arange(np.ceil(np.log10(frequency.min())),
                        np.floor(np.log10(frequency.max())) + 1)
    for d in decades:
        k = int(np.argmin(np.abs(np.log10(frequency) - d)))
        ax.plot(z.real[k], -z.imag[k], "k^", ms=6)
        ax.annotate(f"10^{d:g} Hz", (z.real[k], -z.imag[k]), textcoords="offset points",
                    xytext=(4, 6), fontsize=9)
    ax.set_xlabel("Z′ [Ω cm²]")
    ax.set_ylabel("−Z″ [Ω cm²]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def bode(path, frequency: np.ndarray, z: np.ndarray) -> None:
    """|Z| [Ω cm²] and the phase [°] against the frequency [Hz]."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True,
                                      layout="constrained")
    top.loglog(frequency, np.abs(z), "-", lw=1.5)
    top.set_ylabel("|Z| [Ω cm²]")
    bottom.semilogx(frequency, np.degrees(np.angle(z)), "-", lw=1.5)
    bottom.set_ylabel("phase [°]")
    bottom.set_xlabel("frequency [Hz]")
    for ax in (top, bottom):
        ax.grid(alpha=0.3, which="both")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def nyquist_series(path, frequency: np.ndarray, spectra, formats=None) -> None:
    """Nyquist plots of spectra taken during an evolution: ``spectra`` = [(time [h], Z
    [Ω cm²])], one line per time, the decades marked on the last."""
    from lisse import plotstyle

    fig, ax = plotstyle.subplots(figsize=(7, 4.5))
    for hours, z in spectra:
        ax.plot(z.real, -z.imag, "-", label=f"t = {hours:.3g} h")
    z = spectra[-1][1]
    decades = np.arange(np.ceil(np.log10(frequency.min())),
                        np.floor(np.log10(frequency.max())) + 1)
    for d in decades:
        k = int(np.argmin(np.abs(np.log10(frequency) - d)))
        ax.plot(z.real[k], -z.imag[k], "k^", ms=5)
        ax.annotate(f"10^{d:g} Hz", (z.real[k], -z.imag[k]), textcoords="offset points",
                    xytext=(4, 6), fontsize=10)
    ax.set_xlabel("real part of the impedance Z′ [Ω cm²]")
    ax.set_ylabel("minus imaginary part −Z″ [Ω cm²]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend()
    plotstyle.save(fig, path, formats or plotstyle.FIGURE_FORMATS)
