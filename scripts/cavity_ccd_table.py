"""The coupled model's CCD with the cavity criterion at one point of the blind CCD table
(docs/ccd_validation.md, "The cavity criterion"): the shipped axisymmetric cell of the
electrolyte (configs/studies/ccd_*_axisymmetric.yaml, its voids) at the given stack pressure
and temperature, ``evolution.vacancy.nucleation: cavity`` with ℓ_eff (default: the named
calibration, 0.0484 µm with the library's γ and r_p), trials of ``--capacity`` mAh/cm²,
bisection to ``--rtol``.

Prints the closed form j_vac(p, T) of a flat interface, every trial, the CCD with its bracket,
the failure criterion and the wall and CPU time (too slow for the suite: 7–18 min a point on
the shared 2-core machine).

    .venv/bin/python scripts/cavity_ccd_table.py LLZO 2 25 --start 0.3
    .venv/bin/python scripts/cavity_ccd_table.py Li6PS5Cl 7 25 --start 0.7 --ell-um 0.07507 \\
        --set evolution.vacancy.pore_radius_um=0.25 \\
        --set evolution.vacancy.surface_energy_J_m2=0.441
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import lisse  # noqa: F401  (DOLFINx wheel set-up)
from lisse.solver.config.schema import load_case, resolve
from lisse.solver.studies.ccd import ccd_search
from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA

STUDY = {"LLZO": "ccd_llzo_axisymmetric.yaml", "Li6PS5Cl": "ccd_lpscl_axisymmetric.yaml"}
CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "studies"


def main() -> None:
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("electrolyte", choices=sorted(STUDY))
    parser.add_argument("pressure_MPa", type=float)
    parser.add_argument("temperature_C", type=float)
    parser.add_argument("--ell-um", type=float, default=0.0484, help="ℓ_eff [µm]")
    parser.add_argument("--capacity", type=float, default=0.2, help="mAh/cm² per trial")
    parser.add_argument("--start", type=float, default=0.3, help="first trial [mA/cm²]")
    parser.add_argument("--rtol", type=float, default=0.1)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="further case overrides, e.g. a corner of the CCD band "
                             "(scripts/ccd_uncertainty.py --model cavity)")
    args = parser.parse_args()
    case = load_case(CONFIGS / STUDY[args.electrolyte], [
        f"evolution.stack_pressure_MPa={args.pressure_MPa}",
        f"temperature_C={args.temperature_C}", "evolution.interface_model=coupled",
        "evolution.vacancy.nucleation=cavity",
        f"evolution.vacancy.diffusion_length_um={args.ell_um}",
        f"evolution.ccd.capacity_mAh_cm2={args.capacity}",
        f"evolution.ccd.start_mA_cm2={args.start}", f"evolution.ccd.rtol={args.rtol}",
        "evolution.time_step.max_gap_increment_um=0.1", *args.set])
    params = resolve(case)
    comm = MPI.COMM_WORLD
    flat = params.evolution.cavity.limit(args.pressure_MPa * PA_PER_MPA, params.temperature,
                                         params.electrode.molar_volume)
    wall, cpu = time.time(), time.process_time()
    result = ccd_search(params, comm)
    if comm.rank:
        return
    mA = A_M2_PER_MA_CM2
    print(f"closed form j_vac (flat interface): {flat / mA:.4g} mA/cm²")
    for t in result.trials:
        print(f"  trial {t.current_density / mA:.4g} mA/cm²: "
              f"{'survived' if t.survived else t.failure_criterion}, {t.steps} steps")
    low, high = result.bracket
    print(f"CCD {result.ccd / mA:.4g} mA/cm², bracket [{low / mA:.4g}, {high / mA:.4g}), "
          f"{result.failure_criterion}, interface failure {result.interface_failure}; "
          f"wall {time.time() - wall:.0f} s, CPU {time.process_time() - cpu:.0f} s")


if __name__ == "__main__":
    main()
