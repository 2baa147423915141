"""Does an interfacial void lower the coupled cavity CCD? (docs/ccd_validation.md, "A cell
with a void"; issue 13.) The cell of tests/verification/test_cavity_void.py (TINY
axisymmetric with its void, cavity criterion with the test values ℓ_eff = 0.05 µm,
γ = 0.5 J/m², r_p = 0.5 µm, interface mesh 4 µm) at a stack pressure p [MPa]:

    rest   a rest of ``--hours``: the void's largest gap and the contact fraction over time
           (does the void close within a trial?);
    ccd    the coupled CCD search (trials of ``--capacity`` mAh/cm² from ``--start`` to
           ``--rtol``), against the closed forms at the same capacity of the flat interface
           (a = 1) and of a uniform contact of the void cell's share (a = 0.96, no current
           concentration); ``--flat`` searches the cell without its void instead,
           ``--void-radius`` sets the void's radius [µm] (a = 1 − (r/40)²);
    lag    one trial of the flat cell (``--void``: of the void cell) at ``--current`` mA/cm²
           (``--increment`` µm the max_gap_increment): its loss time against the closed
           form's. Per step the pore law's contact pressure λ at the interface nodes
           (min/mean/max over p), the Li's active obstacle dofs, the largest gap and the
           smallest band share s(g); then the closed form's ODE for a uniform contact of
           share a (1 flat, 0.96 with the void) du/dt = −(Ω/(F h_cover))(i/a − u j_vac)
           (u = 1 − h/h_cover, loss at a u = 0.1) integrated on the run's own steps, with
           j_vac(p/a) and with the run's contact mean of j_vac(λ) (weights w_k s(g_k) over
           the touching nodes).

Prints the trials, the bracket, and the wall and CPU time.

    .venv/bin/python scripts/cavity_void_ccd.py rest 0.3 --hours 2
    .venv/bin/python scripts/cavity_void_ccd.py ccd 0.1 --capacity 0.1 --start 0.25 --rtol 0.05
    .venv/bin/python scripts/cavity_void_ccd.py lag 0.1 --current 0.4063
    .venv/bin/python scripts/cavity_void_ccd.py lag 0.1 --current 0.3536 --void
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (before dolfinx)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mpi4py import MPI  # noqa: E402

from lisse.units import A_M2_PER_MA_CM2, FARADAY, UM_PER_M  # noqa: E402
from tests.verification.test_cavity_void import SHARE, case, closed_ccd, loss_time, resolved  # noqa: E402


def rest(pressure_mpa: float, hours: float) -> None:
    """Print t [s], the largest gap [µm] and the contact fraction of a rest."""
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    c = case(pressure_mpa)
    c["evolution"]["steps"] = [{"current_density_mA_cm2": 0, "duration_h": hours}]
    params = resolved(c)
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    for r in evo.run().records:
        print(f"  t {r.time:8.0f} s: largest gap {r.max_gap * UM_PER_M:.4f} µm, "
              f"contact {r.contact_fraction:.4f}")


def search(pressure_mpa: float, args) -> None:
    """Print the CCD search of the void cell (or the flat one) and the closed forms."""
    from lisse.solver.studies.ccd import ccd_search

    c = case(pressure_mpa, capacity=args.capacity, void=not args.flat)
    if args.void_radius is not None and not args.flat:
        c["geometry"]["voids"][0]["radius_um"] = args.void_radius
    width = c["geometry"]["width_um"]
    contact = SHARE if args.void_radius is None else 1 - (args.void_radius / width) ** 2
    c["evolution"]["ccd"] |= {"start_mA_cm2": args.start, "rtol": args.rtol}
    params = resolved(c)
    mA = A_M2_PER_MA_CM2
    flat, share = (closed_ccd(params, a, args.capacity) for a in (1.0, contact))
    limit = params.evolution.cavity.limit(params.evolution.stack_pressure, params.temperature,
                                          params.electrode.molar_volume)
    print(f"j_vac(p) {limit / mA:.4g} mA/cm²; closed-form CCD at {args.capacity:g} mAh/cm²: "
          f"flat {flat:.4g}, uniform share {contact:.4g} {share:.4g} mA/cm²")
    result = ccd_search(params, MPI.COMM_WORLD)
    for t in result.trials:
        print(f"  trial {t.current_density / mA:.4g} mA/cm²: " + (
            "survived" if t.survived else f"{t.failure_criterion} at {t.failure_time:.1f} s")
            + f", {t.steps} steps")
    low, high = result.bracket
    print(f"CCD {result.ccd / mA:.4g} mA/cm², bracket [{low / mA:.4g}, {high / mA:.4g}), "
          f"{result.failure_criterion}")


def lag(pressure_mpa: float, args) -> None:
    """Print the trial's contact pressures and its loss time against the closed form's
    ODE with j_vac(p/a) and with the run's contact mean of j_vac(λ) (module docstring)."""
    from lisse.solver.physics.li_contact_band import band_share
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    c = case(pressure_mpa, current=args.current, capacity=args.capacity, void=args.void)
    c["evolution"]["time_step"]["max_gap_increment_um"] = args.increment
    params = resolved(c)
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    cav, p, temp = params.evolution.cavity, params.evolution.stack_pressure, params.temperature
    omega, cover = params.electrode.molar_volume, params.evolution.pore_height
    share = SHARE if args.void else 1.0
    i, limit = args.current * A_M2_PER_MA_CM2, cav.limit(p / share, temp, omega)
    tol = evo.settings.contact_tolerance
    steps, advance = [], evo.advance

    def logged(applied: float, dt: float):
        lam = evo.cavities.contact_pressure(evo)  # the pore law's λ for this step
        w = evo.weights * np.where(evo.gap <= tol, band_share(evo.gap, tol), 0.0)
        mean = evo.comm.allreduce(float(w @ cav.limit(lam, temp, omega))) / evo.comm.allreduce(
            float(w.sum()))
        out = advance(applied, dt)
        steps.append((out[0], mean / limit))
        if len(steps) % args.every == 1:
            print(f"  t {evo.time:6.1f} s: λ/p min {lam.min() / p:.3f} mean "
                  f"{evo._mean(lam) / p:.3f} max {lam.max() / p:.3f}, j_vac(λ)/j_vac(p/a) "
                  f"{steps[-1][1]:.4f}, active Li dofs {int(evo.body.active.sum())}/"
                  f"{evo.body.active.size}, gap max {evo.gap.max() * 1e9:.4f} nm, s(g) min "
                  f"{band_share(evo.gap, tol).min():.4f}")
        return out

    evo.advance = logged
    out = evo.run()
    print(f"trial {args.current:g} mA/cm²: {out.failure_criterion} at {out.failure_time:.1f} s, "
          f"{len(steps)} steps; closed form (a = {share:g}) "
          f"{loss_time(params, share, args.current):.1f} s")
    for name, own in (("j_vac(p/a)", False), ("the run's contact mean of j_vac(λ)", True)):
        u, t = 1.0, 0.0
        for dt, ratio in steps:
            rate = omega / (FARADAY * cover) * (i / share - u * (ratio if own else 1) * limit)
            u, t = u - dt * rate, t + dt
            if share * u <= 0.1:
                break
        print(f"closed-form ODE on the run's steps with {name}: " + (
            f"loss at {t:.1f} s" if share * u <= 0.1 else f"contact a u = {share * u:.4f} "
            f"at the run's end {t:.1f} s (not lost)"))
    ratio = np.array(steps)
    print(f"time mean of j_vac(λ)/j_vac(p/a) {np.average(ratio[:, 1], weights=ratio[:, 0]):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("rest", "ccd", "lag"))
    parser.add_argument("pressure_MPa", type=float)
    parser.add_argument("--hours", type=float, default=2.0, help="rest length [h]")
    parser.add_argument("--capacity", type=float, default=0.1, help="mAh/cm² per trial")
    parser.add_argument("--start", type=float, default=0.25, help="first trial [mA/cm²]")
    parser.add_argument("--rtol", type=float, default=0.05)
    parser.add_argument("--flat", action="store_true", help="the cell without its void")
    parser.add_argument("--void-radius", type=float, help="void radius [µm] (default 8)")
    parser.add_argument("--current", type=float, default=0.4063, help="lag: trial [mA/cm²]")
    parser.add_argument("--increment", type=float, default=0.1,
                        help="lag: max_gap_increment [µm]")
    parser.add_argument("--every", type=int, default=50, help="lag: print every n-th step")
    parser.add_argument("--void", action="store_true", help="lag: the cell with its void")
    args = parser.parse_args()
    wall, cpu = time.time(), time.process_time()
    if args.mode == "rest":
        rest(args.pressure_MPa, args.hours)
    elif args.mode == "lag":
        lag(args.pressure_MPa, args)
    else:
        search(args.pressure_MPa, args)
    print(f"wall {time.time() - wall:.0f} s, CPU {time.process_time() - cpu:.0f} s")


if __name__ == "__main__":
    main()
