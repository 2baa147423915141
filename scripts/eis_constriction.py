"""Where the constriction of a voided Li contact appears in the spectrum (docs/impedance.md,
comparison with Eckhardt et al., ACS Appl. Mater. Interfaces 14, 42757 (2022)).

An axisymmetric unit cell of a periodic array of interfacial voids (cell radius 50 µm,
100 µm of LLZO, one void of radius r at the axis: contact fraction f = 1 − (r/50 µm)²),
Butler–Volmer charge transfer of the library's Li|LLZO i0 in parallel with C_dl = 10 µF/cm²,
bulk permittivity 60 ε₀ (assumption, a typical garnet value). For each void the spectrum
from 1 Hz to 10 GHz (``lisse eis``) is split at the minimum of −Z″ between the bulk and the
interface arcs:

* high-frequency arc  Z′(plateau)  = R_b + R_c, with R_c the constriction resistance;
* interface arc        Z′(1 Hz) − Z′(plateau);
against the one-dimensional effective-medium reading R_b + R_ct/f.

    .venv/bin/python scripts/eis_constriction.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import lisse
from lisse.solver.config.schema import resolve, validate_case
from lisse.units import FARADAY, GAS_CONSTANT, OHM_CM2_PER_OHM_M2

CELL_RADIUS_UM = 50.0
VOID_RADII_UM = (0.0, 20.0, 30.0, 40.0)


def case(void_radius_um: float) -> dict:
    voids = ([{"center_um": 0, "radius_um": void_radius_um, "height_um": 2}]
             if void_radius_um > 0 else [])
    return {
        "name": f"constriction_{void_radius_um:g}",
        "geometry": {"dimension": "axisymmetric", "width_um": CELL_RADIUS_UM,
                     "lithium_thickness_um": 10, "electrolyte_thickness_um": 100,
                     "voids": voids,
                     "mesh": {"size_um": 5, "interface_size_um": 0.5, "edge_size_um": 0.1}},
        "materials": {"electrolyte": "LLZO"},
        "interface": {"kinetics": "butler_volmer"},
        "protocol": {"current_density_mA_cm2": 0.1},
        "impedance": {"double_layer_capacitance_uF_cm2": 10, "relative_permittivity": 60,
                      "min_frequency_Hz": 1, "max_frequency_Hz": 1e10,
                      "points_per_decade": 10},
        "output": {"fields": False, "plots": False},
    }


def analyse(spectrum: dict) -> dict:
    """dc resistance, the plateau between the arcs and the number of arcs (maxima of −Z″)."""
    z = spectrum["z_real_ohm_cm2"] + 1j * spectrum["z_imag_ohm_cm2"]
    minus_imag = -z.imag
    peaks = [k for k in range(1, len(z) - 1)
             if minus_imag[k] > minus_imag[k - 1] and minus_imag[k] > minus_imag[k + 1]]
    # the plateau: the lowest −Z″ between the first (interface) and last (bulk) peak
    k = peaks[0] + int(np.argmin(minus_imag[peaks[0]:peaks[-1] + 1])) if len(peaks) > 1 \
        else len(z) - 1
    return {"dc": float(z[0].real), "plateau": float(z[k].real), "arcs": len(peaks),
            "plateau_frequency_Hz": float(spectrum["frequency_Hz"][k])}


def main() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in VOID_RADII_UM:
            result = lisse.eis(case(r), output=Path(tmp) / f"r{r:g}")
            info = analyse(result.spectrum)
            info["void_radius_um"] = r
            info["contact_fraction"] = result.summary["contact_fraction"]
            rows.append(info)
    params = resolve(validate_case(case(0.0)))
    i0 = params.working.exchange_current_density
    r_ct = GAS_CONSTANT * params.temperature / (FARADAY * i0) * OHM_CM2_PER_OHM_M2
    bulk = rows[0]["plateau"]
    print(f"R_ct = RT/(F i0) = {r_ct:.3f} Ω cm²; R_b (no void) = {bulk:.3f} Ω cm²")
    print("r_void  f      arcs  Z'(dc)  R_b+R_c  R_c     interface arc  R_ct/f")
    for row in rows:
        f = row["contact_fraction"]
        row |= {"constriction": row["plateau"] - bulk,
                "interface_arc": row["dc"] - row["plateau"], "emt_interface": r_ct / f}
        print(f"{row['void_radius_um']:5.0f}  {f:.3f}  {row['arcs']:4d}  {row['dc']:6.3f}  "
              f"{row['plateau']:7.3f}  {row['constriction']:6.3f}  {row['interface_arc']:13.3f}"
              f"  {row['emt_interface']:6.3f}")
    return rows


if __name__ == "__main__":
    main()
