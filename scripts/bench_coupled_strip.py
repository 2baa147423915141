"""Benchmark: an axisymmetric strip of 1 mAh/cm² at 0.5 mA/cm² with three interface voids,
with the coupled interface model (``evolution.interface_model: coupled``; issue 12: target
≤ 2 minutes on this machine).

The cell: 60 µm radius, 10 µm of Li on 40 µm of Li6PS5Cl (library defaults), three voids
(a disc on the axis and two rings, radius 5 µm and height 1 µm each, centred at r = 0, 25
and 45 µm), interface mesh ``--interface-um`` (a quarter of it at the void tips), bulk mesh
10 µm; library Li creep at 25 °C under ``--pressure`` MPa; Butler–Volmer kinetics.
Prints the wall time of the run (meshing excluded: the mesh is built and cached before the
timing), the number of time steps, the wall time per step and the time ratio wall/target,
and the final contact fraction and Li bookkeeping error. The run is stopped (and says so)
when the Li bookkeeping error exceeds the E5 tolerance (0.5 %: the Li mesh has tangled,
docs/benchmarks.md) or the wall time exceeds ``--budget`` s, and stops itself when the Li
under the collector is used up (``solver.physics.li_exhaustion``); it then prints the capacity
reached. A capacity above what the 10 µm Li holds (2.06 mAh/cm²) is refused.

    .venv/bin/python scripts/bench_coupled_strip.py [--capacity 1] [--pressure 2] [--tiny]
"""

from __future__ import annotations

import argparse
import csv
import os
import time

import lisse  # noqa: F401  (DOLFINx wheel set-up)
from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.studies.evolution import _engine
from lisse.solver.studies.model import build_model
from lisse.units import C_M2_PER_MAH_CM2, FARADAY, UM_PER_M

TARGET_S = 120.0
E5_TOLERANCE = 5e-3  # Li bookkeeping (validation E5)


def case(capacity: float, current: float, pressure: float, interface_um: float,
         increment_um: float = 0.5) -> dict:
    """The benchmark cell (module docstring)."""
    return {
        "name": "bench_coupled_strip",
        "geometry": {
            "dimension": "axisymmetric", "width_um": 60, "lithium_thickness_um": 10,
            "electrolyte_thickness_um": 40,
            "voids": [{"center_um": x, "radius_um": 5, "height_um": 1} for x in (0, 25, 45)],
            "mesh": {"size_um": 10, "interface_size_um": interface_um,
                     "edge_size_um": interface_um / 4},
        },
        "interface": {"kinetics": "butler_volmer"},
        "counter_electrode": {"kinetics": "butler_volmer"},
        "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": current},
        "output": {"fields": False, "plots": False},
        "evolution": {
            "interface_model": "coupled", "stack_pressure_MPa": pressure,
            "supply": {"creep": True, "vacancy": False},
            "time_step": {"max_gap_increment_um": increment_um},
            "steps": [{"current_density_mA_cm2": current, "capacity_mAh_cm2": capacity}],
        },
    }


def write_history(path: str, records) -> None:
    """The step history: time [s], contact fraction, void count, Li void volume [µm],
    Li bookkeeping error, collector recession [µm]."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["time_s", "contact_fraction", "void_count", "li_void_volume_um",
                      "mass_balance_error", "collector_recession_um"])
        for r in records:
            out.writerow([repr(r.time), repr(r.contact_fraction), r.void_count,
                          repr(r.li_void_volume * UM_PER_M), repr(r.mass_balance_error),
                          repr(r.collector_recession * UM_PER_M)])


def main(argv: list[str] | None = None) -> float:
    """Run the strip; returns its wall time [s]."""
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=float, default=1.0, help="mAh/cm² stripped")
    parser.add_argument("--current", type=float, default=0.5, help="mA/cm²")
    parser.add_argument("--pressure", type=float, default=2.0, help="stack pressure, MPa")
    parser.add_argument("--interface-um", type=float, default=4.0)
    parser.add_argument("--increment-um", type=float, default=0.5,
                        help="time_step.max_gap_increment_um (Li moved per step, µm)")
    parser.add_argument("--tiny", action="store_true", help="0.01 mAh/cm² (the test's size)")
    parser.add_argument("--budget", type=float, default=600.0, help="wall-time limit, s")
    parser.add_argument("--history", default=None,
                        help="CSV file for the step history (time, contact, bookkeeping)")
    args = parser.parse_args(argv)
    capacity = 0.01 if args.tiny else args.capacity
    comm = MPI.COMM_WORLD
    params = resolve(validate_case(case(capacity, args.current, args.pressure,
                                        args.interface_um, args.increment_um)))
    model = build_model(params, comm, "evolution")  # mesh built and cached outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    load = [os.getloadavg()[0]]
    stop = []

    def pause(control, outcome) -> bool:
        last = outcome.records[-1]
        load.append(os.getloadavg()[0])
        if last.mass_balance_error > E5_TOLERANCE:
            stop.append(f"Li bookkeeping {last.mass_balance_error:.1e} > {E5_TOLERANCE:g}")
        elif time.perf_counter() - start > args.budget:
            stop.append(f"wall time over the budget of {args.budget:g} s")
        return bool(stop)

    evo = _engine(model, params.evolution)
    outcome = evo.run(pause=pause)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    last = outcome.records[-1]
    steps = len(outcome.records)
    if comm.rank == 0:
        if stop or outcome.failed:  # the benchmark's own stops, or the run's (li_exhaustion)
            reached = last.li_stripped * FARADAY / params.electrode.molar_volume
            print(f"STOPPED at {reached / C_M2_PER_MAH_CM2:.4g} mAh/cm² "
                  f"(t = {last.time:.7g} s): {stop[0] if stop else outcome.failure_mode}")
        print(f"strip of {capacity:g} mAh/cm² at {args.current:g} mA/cm², "
              f"{args.pressure:g} MPa: {steps} time steps, final contact fraction "
              f"{last.contact_fraction:.4f}, voids {last.void_count}, Li remeshings "
              f"{evo.remeshes:g}, Li bookkeeping "
              f"{max(r.mass_balance_error for r in outcome.records):.1e}"
              f"{', FAILED: ' + outcome.failure_mode if outcome.failed else ''}")
        print(f"wall {total:.1f} s ({total / steps:.3f} s per step), CPU {cpu:.1f} s "
              f"(rank 0); time ratio wall / target {total / TARGET_S:.2f}, CPU / target "
              f"{cpu / TARGET_S:.2f} (target ≤ {TARGET_S:.0f} s); load average (1 min) "
              f"{min(load):.1f}–{max(load):.1f} on {os.cpu_count()} cores")
        if args.history:
            write_history(args.history, outcome.records)
    return total


if __name__ == "__main__":
    import sys

    from lisse.solver.errors import UserError

    try:
        main()
    except UserError as exc:  # e.g. a capacity the 10 µm Li cannot hold
        print(f"bench_coupled_strip: error: {exc}", file=sys.stderr)
        sys.exit(2)
