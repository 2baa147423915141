"""Void closure with a sticking against a frictionless Li contact (docs/moving_interface.md,
"Sticking contact"): the TINY test cell (plane strain, 40 µm wide, 10 µm Li, a void of radius
8 µm and height 2 µm at x = 0; interface mesh 4 µm, 1 µm at the void tips), library creep law
at 25 °C, 0.7 MPa, strip 0.01 mAh/cm² at 1 mA/cm², rest 180 s, max gap increment 0.05 µm.
Prints, for each contact, the times at which the Li void volume falls to 50, 10 and 2 % of
its start, the time of full contact, the steps and the CPU time (about 15 s each, serial).

    .venv/bin/python scripts/sticking_void_closure.py [--output DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import lisse

CASE = {
    "name": "sticking_void_closure",
    "geometry": {
        "dimension": "plane", "width_um": 40, "lithium_thickness_um": 10,
        "electrolyte_thickness_um": 40,
        "voids": [{"center_um": 0, "radius_um": 8, "height_um": 2}],
        "mesh": {"size_um": 8, "interface_size_um": 4, "edge_size_um": 1},
    },
    "interface": {"kinetics": "butler_volmer"},
    "counter_electrode": {"kinetics": "butler_volmer"},
    "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": 1.0},
    "output": {"fields": False, "plots": False},
    "evolution": {
        "interface_model": "coupled", "stack_pressure_MPa": 0.7,
        "supply": {"creep": True, "vacancy": False},
        "steps": [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.01},
                  {"current_density_mA_cm2": 0.0, "duration_h": 0.05}],
        "time_step": {"max_gap_increment_um": 0.05}, "checkpoint_interval_s": 0,
    },
}
FRACTIONS = (0.5, 0.1, 0.02)  # of the void volume at the start


def closure(folder: Path) -> tuple[list[float], float, int]:
    """(times [s] at which the void volume falls to FRACTIONS of its start, time of full
    contact [s], steps) from a run's timeseries.csv."""
    header = (folder / "timeseries.csv").read_text().splitlines()[0].split(",")
    table = np.loadtxt(folder / "timeseries.csv", delimiter=",", skiprows=1, ndmin=2)
    t = table[:, header.index("time_s")]
    void = table[:, header.index("li_void_volume_um")]
    contact = table[:, header.index("contact_fraction")]
    start = void[0] - t[0] * (void[1] - void[0]) / (t[1] - t[0])  # [µm] linear back to t = 0
    times = [float(np.interp(-f * start, -void, t)) for f in FRACTIONS]
    return times, float(t[np.argmax(contact >= 1 - 1e-12)]), len(t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None,
                        help="folder for the two runs (default: a temporary folder)")
    args = parser.parse_args()
    root = args.output or Path(tempfile.mkdtemp(prefix="lisse-sticking-"))
    print("contact        void 50 %   10 %    2 %    closed [s]  steps  CPU [s]")
    for contact in ("frictionless", "sticking"):
        case = CASE | {"evolution": CASE["evolution"] | {"contact": contact}}
        cpu = time.process_time()
        lisse.run(case, output=root / contact)
        cpu = time.process_time() - cpu
        times, closed, steps = closure(root / contact)
        print(f"{contact:13s} " + " ".join(f"{x:7.3f}" for x in times)
              + f"  {closed:9.2f}  {steps:5d}  {cpu:6.1f}")


if __name__ == "__main__":
    main()
