"""The Python API in a few lines: the demo cell stripped at three current densities.

    python scripts/examples/api_current_sweep.py [OUTPUT]      (default results/api_example)

Loads configs/demo.yaml, runs it at 0.5, 1 and 2 mA/cm² through ``lisse.run`` (one results
folder each, as ``lisse run`` writes) and prints how the cell voltage, the constriction
resistance and the current hotspot at the void edges change. Runs under ``mpirun`` too.
"""

import sys
from pathlib import Path

import lisse

ROOT = Path(__file__).resolve().parents[2]


def main(output: Path) -> list[dict]:
    case = lisse.load_case(ROOT / "configs" / "demo.yaml")
    rows = []
    for j in (0.5, 1.0, 2.0):
        result = lisse.run(case, overrides=[f"protocol.current_density_mA_cm2={j}"],
                           output=output / f"j{j:g}")
        s = result.summary
        rows.append({"j_mA_cm2": j, "voltage_mV": s["cell_voltage_V"] * 1e3,
                     "asr_constriction_ohm_cm2": s["asr_constriction_ohm_cm2"],
                     "hotspot_factor": s["hotspot_factor"]})
    print(f"{'j [mA/cm²]':>10} {'V [mV]':>9} {'ASR_c [Ω cm²]':>14} {'hotspot':>8}")
    for r in rows:
        print(f"{r['j_mA_cm2']:10.3g} {r['voltage_mV']:9.4g} "
              f"{r['asr_constriction_ohm_cm2']:14.4g} {r['hotspot_factor']:8.4g}")
    return rows


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "results/api_example"))
