"""PNG plots of the mechanics (matplotlib, Agg backend; rank 0 draws)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

UM, MPA = 1e6, 1e6


def interface_pressure(path, rows: np.ndarray, gdim: int, stack_pressure: float) -> None:
    """Normal contact pressure along the interface (bonded nodes and closed roof) and the
    gap of the void roofs; rows from ``mechanics_run.interface_table`` (MPa, µm)."""
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    if gdim == 2:
        x, roof, gap, pn = rows[:, 0], rows[:, 1] > 0, rows[:, 2], rows[:, 3]
        ax.plot(x[~roof], pn[~roof], ".", ms=3, color="C0", label="bonded contact")
        ax.plot(x[roof], pn[roof], ".", ms=3, color="C3", label="void roof (penalty)")
        ax.axhline(stack_pressure, color="k", ls="--", lw=0.8, label="stack pressure")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("contact pressure (MPa)")
        twin = ax.twinx()
        twin.plot(x[roof], gap[roof], "-", lw=0.8, color="0.5")
        twin.set_ylabel("roof gap (µm)", color="0.4")
        ax.legend(loc="best", fontsize=8)
    else:
        sc = ax.scatter(rows[:, 0], rows[:, 1], c=rows[:, 3], s=5, cmap="viridis")
        fig.colorbar(sc, ax=ax, label="contact pressure (MPa)")
        ax.set_aspect("equal")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
    ax.set_title("Interface contact pressure after the pressure hold")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def history(path, rows: np.ndarray) -> None:
    """Mechanical contact fraction against time (rows of mechanics_history.csv)."""
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    t = rows[1:, 0] if len(rows) > 1 else rows[:, 0]
    f = rows[1:, 1] if len(rows) > 1 else rows[:, 1]
    ax.semilogx(t, f, "o-", ms=3)
    ax.axhline(rows[0, 1], color="k", ls=":", lw=0.8, label="at loading")
    ax.set_xlabel("time under pressure (s)")
    ax.set_ylabel("contact fraction")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def gather_cells(mech, comm):
    """Vertex coordinates (n, 3, 2) [m] and von Mises stress [Pa] of the owned cells."""
    msh = mech.msh
    von_mises = mech.cell_fields()[0]
    ncells = msh.topology.index_map(msh.topology.dim).size_local
    tri = msh.geometry.x[msh.geometry.dofmaps[0][:ncells]][:, :, :2]
    tri, values = comm.gather(tri, root=0), comm.gather(von_mises.x.array[:ncells].copy(), 0)
    if comm.rank != 0:
        return None
    return np.concatenate(tri), np.concatenate(values)


def stress_field(
    path, triangles: np.ndarray, values: np.ndarray, window: float, axisymmetric: bool
) -> None:
    """Von Mises stress [MPa] within ``window`` [m] of the interface (both layers)."""
    keep = np.abs(triangles[:, :, 1]).min(axis=1) <= window
    tri, val = triangles[keep] * UM, values[keep] / MPA
    points = tri.reshape(-1, 2)
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    pc = ax.tripcolor(
        points[:, 0],
        points[:, 1],
        np.arange(len(points)).reshape(-1, 3),
        facecolors=val,
        cmap="magma",
        vmin=0.0,
        vmax=np.percentile(val, 99.5),
        shading="flat",
    )
    fig.colorbar(
        pc, ax=ax, label="von Mises stress (MPa), clipped at the 99.5th percentile", extend="max"
    )
    ax.set_aspect("equal")
    ax.set_ylim(-window * UM, window * UM)
    ax.set_xlabel("r (µm)" if axisymmetric else "x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title("Stress near the interface after the pressure hold")
    fig.savefig(path, dpi=130)
    plt.close(fig)
