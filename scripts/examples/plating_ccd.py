"""Plating CCD of a Li-filled surface flaw against its depth, for the library electrolytes.

    python scripts/examples/plating_ccd.py [OUTPUT]      (default results/plating_ccd)

The overpotential-bound model of docs/fracture.md: p_Li = Fη/Ω on the flaw faces,
K_I = 1.1215 p_Li sqrt(π a) against K_IC, Butler–Volmer at the flaw. Writes
plating_ccd.png (and .pdf) with the measured CCD ranges of ../shared/materials.md as bands
and prints the table of docs/fracture.md.
"""

import sys
from pathlib import Path

import numpy as np

from lisse.solver.io.fracture_plots import plating_ccd_curve
from lisse.solver.physics.plating import material_plating_ccd
from lisse.units import A_M2_PER_MA_CM2, UM_PER_M

MEASURED = {  # room-temperature CCDs [mA/cm²] (seeds 002, 003 via ../shared/materials.md)
    "LLZO": (0.65, 3.0, "modified interfaces, seeds 002/003"),
    "Li6PS5Cl": (0.45, 1.5, "argyrodites, seeds 002/003"),
}


def main(output: Path) -> dict[str, np.ndarray]:
    depth = np.geomspace(0.1, 1000.0, 81) / UM_PER_M
    ccd = {name: material_plating_ccd(name, depth, 25.0) for name in MEASURED}
    output.mkdir(parents=True, exist_ok=True)
    plating_ccd_curve(output / "plating_ccd.png", depth, ccd, MEASURED)
    print(f"{'a [µm]':>8} " + " ".join(f"{name + ' [mA/cm²]':>18}" for name in ccd))
    for a in (1.0, 10.0, 100.0):
        values = [material_plating_ccd(n, a / UM_PER_M, 25.0) for n in ccd]
        print(f"{a:8.3g} " + " ".join(f"{v / A_M2_PER_MA_CM2:18.3g}" for v in values))
    return ccd


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/plating_ccd"))
