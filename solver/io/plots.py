"""PNG plots of a current distribution (matplotlib, Agg backend, rank 0 draws)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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


def current_field(path, triangles: np.ndarray, magnitude: np.ndarray, window: float,
                  axisymmetric: bool) -> None:
    """Magnitude of the ionic current density |i| [mA/cm²] on the electrolyte cells within
    ``window`` [m] of the interface. ``triangles``: cell vertex coordinates, (n, 3, 2) [m]."""
    keep = triangles[:, :, 1].max(axis=1) >= -window
    tri, mag = triangles[keep] * UM, magnitude[keep] * MA_CM2
    points = tri.reshape(-1, 2)
    connectivity = np.arange(len(points)).reshape(-1, 3)
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    top = np.percentile(mag, 99.5)
    pc = ax.tripcolor(points[:, 0], points[:, 1], connectivity, facecolors=mag,
                      cmap="magma", vmin=0.0, vmax=top, shading="flat")
    fig.colorbar(pc, ax=ax, label="|i| (mA/cm²), clipped at the 99.5th percentile",
                 extend="max")
    ax.set_aspect("equal")
    ax.set_ylim(-window * UM, 0)
    ax.set_xlim(points[:, 0].min(), points[:, 0].max())
    ax.set_xlabel("r (µm)" if axisymmetric else "x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title("Ionic current density near the interface")
    fig.savefig(path, dpi=150)
    plt.close(fig)
