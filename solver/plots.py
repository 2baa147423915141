"""PNG plots of a current distribution (matplotlib, Agg backend, rank 0 draws)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.tri import Triangulation  # noqa: E402

UM = 1e6
MA_CM2 = 0.1  # A/m² -> mA/cm²


def interface_profile(path, x: np.ndarray, j: np.ndarray, contact: np.ndarray, gdim: int,
                      mean_contact: float, axisymmetric: bool) -> None:
    """Local current density along the interface: a line (2D) or a map of the plane (3D)."""
    fig, ax = plt.subplots(figsize=(7, 4) if gdim == 2 else (6, 5), layout="constrained")
    if gdim == 2:
        ax.plot(x[:, 0] * UM, j * MA_CM2, "-", color="C0", lw=1.2, label="local")
        ax.axhline(mean_contact * MA_CM2, color="k", ls="--", lw=0.8, label="mean over contact")
        voids = ~contact
        ax.fill_between(x[:, 0] * UM, 0, 1, where=voids, color="0.85",
                        transform=ax.get_xaxis_transform(), label="void (no contact)")
        ax.set_xlabel("r (µm)" if axisymmetric else "x (µm)")
        ax.set_ylabel("current density (mA/cm²)")
        ax.legend(loc="best", fontsize=8)
    else:
        sc = ax.scatter(x[:, 0] * UM, x[:, 1] * UM, c=np.where(contact, j * MA_CM2, np.nan),
                        s=6, cmap="inferno")
        ax.scatter(x[~contact, 0] * UM, x[~contact, 1] * UM, c="0.8", s=4)
        fig.colorbar(sc, ax=ax, label="current density (mA/cm²)")
        ax.set_aspect("equal")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
    ax.set_title("Interface current density")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def current_field(path, midpoints: np.ndarray, magnitude: np.ndarray, window: float,
                  axisymmetric: bool) -> None:
    """Magnitude of the ionic current density |i| [mA/cm²] in the electrolyte within
    ``window`` [m] of the interface (2D cells; cell-midpoint values)."""
    keep = midpoints[:, 1] >= -window
    xm, ym, mag = midpoints[keep, 0] * UM, midpoints[keep, 1] * UM, magnitude[keep] * MA_CM2
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    positive = mag[mag > 0]
    lo = max(positive.min(), positive.max() * 1e-4) if positive.size else 1e-12
    tri = Triangulation(xm, ym)
    cs = ax.tricontourf(tri, np.clip(mag, lo, None), levels=np.geomspace(lo, mag.max(), 30),
                        norm=LogNorm(), cmap="viridis")
    fig.colorbar(cs, ax=ax, label="|i| (mA/cm²)")
    ax.set_aspect("equal")
    ax.set_xlabel("r (µm)" if axisymmetric else "x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title("Ionic current density near the interface")
    fig.savefig(path, dpi=130)
    plt.close(fig)
