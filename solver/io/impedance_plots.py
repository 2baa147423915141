"""Nyquist and Bode plots of an impedance spectrum (lisse style: ``lisse.plotstyle``)."""

from __future__ import annotations

import numpy as np
from matplotlib import ticker

from lisse import plotstyle

LABEL_GAP = 0.06  # least distance of two decade labels, a fraction of the curve's extent


def _mark_decades(ax, frequency: np.ndarray, z: np.ndarray, size: float) -> None:
    """A triangle at the point of ``z`` nearest each whole frequency decade, and its label
    unless that point lies within ``LABEL_GAP`` of the curve's extent of a labelled one (the
    decades crowded at the ends of an arc would print over each other)."""
    decades = np.arange(np.ceil(np.log10(frequency.min())),
                        np.floor(np.log10(frequency.max())) + 1)
    span = max(np.ptp(z.real), np.ptp(z.imag)) or 1.0
    labelled: list[complex] = []
    for d in decades:
        k = int(np.argmin(np.abs(np.log10(frequency) - d)))
        ax.plot(z.real[k], -z.imag[k], "k^", ms=size)
        if all(abs(z[k] - other) > LABEL_GAP * span for other in labelled):
            labelled.append(z[k])
            ax.annotate(f"$10^{{{d:g}}}$ Hz", (z.real[k], -z.imag[k]),
                        textcoords="offset points", xytext=(4, 6),
                        fontsize=plotstyle.MIN_FONT_PT)


def nyquist(path, frequency: np.ndarray, z: np.ndarray,
            formats=plotstyle.FIGURE_FORMATS) -> None:
    """−Z″ against Z′ [Ω cm²] on equal axes, with the frequency decades marked."""
    fig, ax = plotstyle.subplots(figsize=(7, 5))
    ax.plot(z.real, -z.imag, "o-", ms=4)
    _mark_decades(ax, frequency, z, size=7)
    ax.set_xlabel("Z′ [Ω cm²]")
    ax.set_ylabel("−Z″ [Ω cm²]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title("Impedance (Nyquist)")
    plotstyle.save(fig, path, formats)


def bode(path, frequency: np.ndarray, z: np.ndarray, formats=plotstyle.FIGURE_FORMATS) -> None:
    """|Z| [Ω cm²] and the phase [°] against the frequency [Hz]."""
    fig, (top, bottom) = plotstyle.subplots(2, 1, figsize=(7, 6), sharex=True)
    top.loglog(frequency, np.abs(z), "-")
    if np.abs(z).max() < 10 * np.abs(z).min():  # less than a decade: plain numbers, not 4×10¹
        for axis in (top.yaxis.set_major_formatter, top.yaxis.set_minor_formatter):
            axis(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    top.set_ylabel("|Z| [Ω cm²]")
    bottom.semilogx(frequency, np.degrees(np.angle(z)), "-")
    bottom.set_ylabel("phase [°]")
    bottom.set_xlabel("frequency [Hz]")
    top.set_title("Impedance (Bode)")
    for ax in (top, bottom):
        ax.grid(True, which="both")
    plotstyle.save(fig, path, formats)


def nyquist_series(path, frequency: np.ndarray, spectra, formats=None) -> None:
    """Nyquist plots of spectra taken during an evolution: ``spectra`` = [(time [h], Z
    [Ω cm²])], one line per time, the decades marked on the last."""
    fig, ax = plotstyle.subplots(figsize=(7, 4.5))
    for hours, z in spectra:
        ax.plot(z.real, -z.imag, "-", label=f"t = {hours:.3g} h")
    _mark_decades(ax, frequency, spectra[-1][1], size=5)
    ax.set_xlabel("real part of the impedance Z′ [Ω cm²]")
    ax.set_ylabel("minus imaginary part −Z″ [Ω cm²]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend()
    plotstyle.save(fig, path, formats or plotstyle.FIGURE_FORMATS)
