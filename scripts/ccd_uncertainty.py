"""CCD uncertainty band from the materials library's stated ranges (issue 13, part 5).

Two models (``--model``):

* ``reduced`` (inputs ``RANGES``): one ``lisse ccd`` bisection of the shipped unit cell
  (``configs/studies/ccd_*_axisymmetric.yaml``) per CCD, one after the other in this
  process, not on the sweep engine (which runs steady and evolution cases, not CCD searches).
* ``cavity``: the coupled model with the cavity criterion (``evolution.vacancy.nucleation:
  cavity``), whose CCD is the flat interface's closed form (``solver.physics.cavitation``)

      CCD(p, T) = j_vac = F D_eff(T) s(p, T) / (f Ω ℓ_eff),
      s(p, T) = exp[(p + 2γ/r_p) Ω/(R T)] − 1                                  [A/m²]

  (the coupled searches bracket it: docs/ccd_validation.md, "The cavity criterion"), taken
  from the resolved case of the shipped cell (``CAVITY`` overrides), so a sample costs a
  few milliseconds and no run. ℓ_eff is the named calibration: fitted so that
  j_vac = 0.4 mA/cm² on Li/LLZO at 2 MPa, 25 °C (``CALIBRATION``). Each band is computed
  both ways: ℓ_eff fitted again for every sample (the calibration absorbs what it can: the
  reported band) and ℓ_eff held at its nominal fit. Inputs ``CAVITY_RANGES``.

1. **Sensitivity** (one at a time): at each reference point (electrolyte, stack pressure,
   temperature) the stripping CCD with one input at the low and at the high end of the range
   the library states for it, every other input nominal; the sensitivity of the input is
   S = |ln(CCD_high / CCD_low)|, ranked by its largest value over the reference pressures.
   An input whose two ends leave the resolved parameters unchanged (it does not reach the
   model at that point) has S = 0 without a run.
2. **Ensemble**: the ``--top`` inputs of largest S at every corner of their ranges (2^top
   cases) at every stack pressure and temperature asked for; the band is the smallest and
   the largest CCD of the corners, other inputs nominal. The corners bound the CCD if it is
   monotone in each input (reduced: expected, not checked between the corners; cavity: with
   ℓ_eff fixed j_vac rises with D* and c = 2γ/r_p; fitted again, it is ≈ (p + c)/(2 MPa + c)
   times the calibration CCD, monotone in c, rising below 2 MPa, falling above).
3. **Figures** (``ccd_band_figures.py``): CCD against stack pressure, nominal prediction
   and band, with the measured CCDs of ``--measured`` (default the blind table's,
   configs/experiments/ccd_measurements.csv; cavity: the calibration point circled); with
   ``--temperatures``, also CCD against temperature at the first reference pressure. To
   ``--out`` with a JSON of every number (cavity: also the band at every measured point and
   whether the measurement lies inside it).

The ranges are the ones the library's notes and sources state (the test checks every
nominal value lies inside its range). Inputs with no stated range (the Li creep law, the
exchange current densities; cavity: the activation energy of D*, an assumption, and the Li
molar volume, a standard value) are not sampled: the band does not cover them.

    .venv/bin/python scripts/ccd_uncertainty.py --electrolyte LLZO \\
        --pressures 0 0.5 1 1.5 2 3 --reference-pressure 2 --temperatures 0 25 60
    .venv/bin/python scripts/ccd_uncertainty.py --model cavity --electrolyte Li6PS5Cl \\
        --pressures 0.5 1 2 3 4 5 6 7 8 --reference-pressure 3 7 --temperatures 0 25 60 --top 3
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lisse  # noqa: F401  (DOLFINx wheel set-up)
from lisse.solver.config import materials
from lisse.solver.config.schema import load_case, resolve
from lisse.units import A_M2_PER_MA_CM2, FARADAY, J_PER_KJ, PA_PER_MPA, UM_PER_M, kelvin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ccd_band_figures import figure, measured  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ROOT / "configs" / "experiments" / "ccd_measurements.csv"
STUDY = {"LLZO": "ccd_llzo_axisymmetric.yaml", "Li6PS5Cl": "ccd_lpscl_axisymmetric.yaml"}


@dataclass(frozen=True)
class Range:
    """A library input and the range its source states: ``slot`` is the case's material
    slot (electrode or electrolyte), ``material`` and ``key`` the library entry."""

    slot: str
    material: str
    key: str
    low: float
    high: float
    stated: str  # where the range is stated

    @property
    def label(self) -> str:
        return f"{self.material} {self.key}"


def overrides(values: Iterable[tuple[Range, float]]) -> tuple[str, ...]:
    """The case overrides that set each range's library value to the given value: one
    ``materials.<slot>={name: ..., key: value, ...}`` per slot (a second override of the same
    slot would replace the first)."""
    slots: dict[tuple[str, str], list[str]] = {}
    for r, value in values:
        slots.setdefault((r.slot, r.material), []).append(f"{r.key}: {value!r}")
    return tuple(f"materials.{slot}={{name: {name}, {', '.join(keys)}}}"
                 for (slot, name), keys in slots.items())


def _kj_mol(ev: float) -> float:
    """An activation energy in eV per particle as kJ/mol (1 eV ↔ F J/mol)."""
    return ev * FARADAY / J_PER_KJ


RANGES = {
    "LLZO": (
        Range("electrode", "Li", "self_diffusivity_m2_s", 1.0e-15, 1.0e-14,
              "library source: 1e-11 to 1e-10 cm²/s (Krauskopf et al. 2019)"),
        Range("electrolyte", "LLZO", "ionic_conductivity_S_cm", 1.0e-4, 1.0e-3,
              "library note: range 1e-4 to 1e-3 S/cm"),
        Range("electrolyte", "LLZO", "ionic_conductivity_activation_energy_kJ_mol",
              _kj_mol(0.35), _kj_mol(0.40), "library source: 0.35-0.4 eV"),
    ),
    "Li6PS5Cl": (
        Range("electrode", "Li", "self_diffusivity_m2_s", 1.0e-15, 1.0e-14,
              "library source: 1e-11 to 1e-10 cm²/s (Krauskopf et al. 2019)"),
        Range("electrolyte", "Li6PS5Cl", "ionic_conductivity_S_cm", 0.9e-3, 3.0e-3,
              "library note: range 0.9e-3 to 3e-3 S/cm"),
        Range("electrolyte", "Li6PS5Cl", "ionic_conductivity_activation_energy_kJ_mol",
              _kj_mol(0.28), _kj_mol(0.34), "library source: 0.31 ± 0.03 eV"),
    ),
}



# the coupled model with the cavity criterion (module docstring): the Li inputs of j_vac that
# have a stated range; no electrolyte value enters j_vac
CAVITY_RANGES = (
    Range("electrode", "Li", "self_diffusivity_m2_s", 1.0e-15, 1.0e-14,
          "library source: 1e-11 to 1e-10 cm²/s (Krauskopf et al. 2019)"),
    Range("electrode", "Li", "surface_energy_J_m2", 0.396, 0.441,
          "library source and note: 0.396 (liquid Li at T_m, Davison 1968) to 0.441 J/m² "
          "(calculated at T_m); 0.414 extrapolated to 25 °C"),
    Range("electrode", "Li", "pore_radius_um", 0.25, 1.0,
          "assumption (library 0.5 µm, no measured size): ÷2 to ×2, as "
          "tests/verification/test_cavity_table.py"),
)
CAVITY = ("evolution.interface_model=coupled", "evolution.vacancy.nucleation=cavity")
CALIBRATION = ("LLZO", 2.0, 25.0)  # Wang 2019, Li/LLZO: fits the cavity model's ℓ_eff
CALIBRATION_CCD_MA_CM2 = 0.4


def nominal(r: Range) -> float:
    return materials.get_material(r.material).values[r.key]


def params(electrolyte: str, pressure_MPa: float, celsius: float,
           extra: tuple[str, ...] = (), base: str | Path | None = None):
    """The resolved case of the shipped unit cell (or ``base``) at the given conditions."""
    case = load_case(base or ROOT / "configs" / "studies" / STUDY[electrolyte],
                     [f"evolution.stack_pressure_MPa={pressure_MPa}",
                      f"temperature_C={celsius}", *extra])
    return resolve(case)


def ccd_mA_cm2(resolved, comm) -> tuple[float, float]:
    """(CCD, upper end of its bracket) [mA/cm²] of one bisection search."""
    from lisse.solver.studies.ccd import ccd_search
    result = ccd_search(resolved, comm)
    if comm.rank == 0:  # progress: one line per search
        print(f"  {resolved.evolution.stack_pressure / PA_PER_MPA:g} MPa, "
              f"{resolved.temperature - kelvin(0.0):g} °C: CCD "
              f"{result.ccd / A_M2_PER_MA_CM2:.4g} mA/cm² ({len(result.trials)} trials)",
              flush=True)
    return result.ccd / A_M2_PER_MA_CM2, result.bracket[1] / A_M2_PER_MA_CM2


@dataclass(frozen=True)
class Model:
    """How the script gets a CCD: ``ccd(electrolyte, p [MPa], T [°C], overrides)``
    [mA/cm²]; ``selects``: the case overrides that select the model; ``ranges``: the inputs
    it may sample, per electrolyte."""

    name: str
    ccd: Callable[[str, float, float, tuple[str, ...]], float]
    selects: tuple[str, ...]
    ranges: dict[str, tuple[Range, ...]]


def reduced(comm, base: str | Path | None = None) -> Model:
    """One ``lisse ccd`` bisection of the shipped cell (or ``base``) per CCD."""
    def ccd(electrolyte, pressure_MPa, celsius, extra):
        return ccd_mA_cm2(params(electrolyte, pressure_MPa, celsius, extra, base), comm)[0]
    return Model("reduced", ccd, (), RANGES)


def flat_limit(resolved) -> float:
    """j_vac(p, T) [A/m²] of the case's cavity criterion on a flat interface at its stack
    pressure p and temperature T."""
    return float(resolved.evolution.cavity.limit(resolved.evolution.stack_pressure,
                                                 resolved.temperature,
                                                 resolved.electrode.molar_volume))


@cache
def calibrated_length(extra: tuple[str, ...] = ()) -> float:
    """ℓ_eff [m] with j_vac = 0.4 mA/cm² at ``CALIBRATION`` under the overrides ``extra``
    (j_vac ∝ 1/ℓ_eff)."""
    resolved = params(*CALIBRATION, (*CAVITY, *extra))
    at_unit = flat_limit(resolved) * resolved.evolution.cavity.supply.diffusion_length
    return at_unit / (CALIBRATION_CCD_MA_CM2 * A_M2_PER_MA_CM2)


def cavity(recalibrate: bool = True) -> Model:
    """The closed form j_vac(p, T) [mA/cm²] with ℓ_eff fitted at ``CALIBRATION`` under each
    sample's overrides (``recalibrate``) or under none (ℓ_eff held at its nominal fit)."""
    def ccd(electrolyte, pressure_MPa, celsius, extra):
        ell = calibrated_length(extra if recalibrate else ()) * UM_PER_M
        resolved = params(electrolyte, pressure_MPa, celsius,
                          (*CAVITY, f"evolution.vacancy.diffusion_length_um={ell!r}", *extra))
        return flat_limit(resolved) / A_M2_PER_MA_CM2
    name = "cavity, ℓ_eff fitted again" if recalibrate else "cavity, ℓ_eff fixed"
    return Model(name, ccd, CAVITY, dict.fromkeys(STUDY, CAVITY_RANGES))


def sensitivity(electrolyte: str, pressure_MPa: float, celsius: float, model: Model,
                extra: tuple[str, ...] = (), ranges=None) -> list[dict]:
    """One-at-a-time sensitivity S = |ln(CCD(high)/CCD(low))| of every range, largest
    first."""
    rows = []
    for r in ranges or model.ranges[electrolyte]:
        ends = [(*extra, *overrides([(r, v)])) for v in (r.low, r.high)]
        cases = [params(electrolyte, pressure_MPa, celsius, (*model.selects, *e)) for e in ends]
        if cases[0] == cases[1]:
            rows.append({"input": r.label, "low": r.low, "high": r.high, "ccd_low": math.nan,
                         "ccd_high": math.nan, "S": 0.0, "reaches": False})
            continue
        low, high = (model.ccd(electrolyte, pressure_MPa, celsius, e) for e in ends)
        rows.append({"input": r.label, "low": r.low, "high": r.high, "ccd_low": low,
                     "ccd_high": high, "S": abs(math.log(high / low)), "reaches": True})
    return sorted(rows, key=lambda row: -row["S"])


def ranked(studies: list[list[dict]], ranges: tuple[Range, ...], top: int,
           floor: float = 1e-9) -> list[Range]:
    """The ``top`` ranges of largest S over the sensitivity ``studies`` (one per reference
    point), those with S > ``floor`` only (S = 0 up to rounding: the input does not reach)."""
    largest = {r.label: max(row["S"] for rows in studies for row in rows
                            if row["input"] == r.label) for r in ranges}
    order = sorted(ranges, key=lambda r: -largest[r.label])
    return [r for r in order[:top] if largest[r.label] > floor]


def band(electrolyte: str, conditions: list[tuple[float, float]], inputs: list[Range],
         model: Model, extra: tuple[str, ...] = ()) -> list[dict]:
    """Nominal CCD and the ensemble band (min, max over the corners of ``inputs``) at each
    (stack pressure [MPa], temperature [°C]) of ``conditions`` [mA/cm²]."""
    rows = []
    for p, celsius in conditions:
        nominal_ccd = model.ccd(electrolyte, p, celsius, extra)
        corners = [model.ccd(electrolyte, p, celsius,
                             (*extra, *overrides(zip(inputs, corner, strict=True))))
                   for corner in itertools.product(*((r.low, r.high) for r in inputs))]
        rows.append({"stack_pressure_MPa": p, "temperature_C": celsius, "nominal": nominal_ccd,
                     "low": min(corners), "high": max(corners), "corners": corners})
    return rows


def at_measurements(path: Path, electrolyte: str, inputs: list[Range], model: Model,
                    extra: tuple[str, ...] = ()) -> list[dict]:
    """The band at every measured point of ``path`` for the electrolyte, with the
    measurement and whether it lies inside the band."""
    with open(path, newline="") as f:
        points = [row for row in csv.DictReader(f) if row["electrolyte"] == electrolyte]
    rows = []
    for point in points:
        p, celsius = float(point["stack_pressure_MPa"]), float(point["temperature_C"])
        (row,) = band(electrolyte, [(p, celsius)], inputs, model, extra)
        ccd = float(point["ccd_mA_cm2"])
        role = ("calibration" if (electrolyte, p, celsius) == CALIBRATION
                and model.selects == CAVITY else "blind")
        # the CSV's "(calibration)" marks the reduced model's calibration point
        rows.append({**row, "label": point["label"].replace(" (calibration)", ""),
                     "role": role, "measured": ccd, "inside": row["low"] <= ccd <= row["high"]})
    return rows


def draw(args, saved: dict) -> None:
    """The band against stack pressure (with the measurements) and, if computed, against
    temperature, into ``args.out``."""
    name, rows, hot = args.electrolyte, saved["band_pressure"], saved["band_temperature"]
    points = measured(args.measured, name, "stack_pressure_MPa", rows[0]["temperature_C"])
    if saved.get("model", "reduced") == "reduced":  # JSONs before --model: reduced
        figure(args.out / f"ccd_band_{name}.png", rows, points,
               f"Li/{name}, {rows[0]['temperature_C']:g} °C")
        if hot:
            figure(args.out / f"ccd_band_{name}_temperature.png", hot, [],
                   f"Li/{name}, {hot[0]['stack_pressure_MPa']:g} MPa", "temperature_C")
        return
    fixed = saved["fixed_length"]
    labels = ("band: library ranges, ℓ_eff fitted again", "predicted, library values")
    # the CSV's "(calibration)" is the reduced model's; the cavity model's is circled
    points = [(p, c, lab.replace(" (calibration)", "")) for p, c, lab in points]
    celsius = rows[0]["temperature_C"]
    calibration = ((CALIBRATION[1], CALIBRATION_CCD_MA_CM2)
                   if name == CALIBRATION[0] and celsius == CALIBRATION[2] else None)
    figure(args.out / f"ccd_band_cavity_{name}.png", rows, points,
           f"Li/{name}, {celsius:g} °C: cavity criterion", wide=fixed["band_pressure"],
           labels=labels, calibration=calibration)
    if hot:
        p = hot[0]["stack_pressure_MPa"]
        calibration = ((CALIBRATION[2], CALIBRATION_CCD_MA_CM2)
                       if name == CALIBRATION[0] and p == CALIBRATION[1] else None)
        at_p = [(r["temperature_C"], r["measured"], f"{r['label']}, {p:g} MPa")
                for r in saved["measured_points"] if r["stack_pressure_MPa"] == p]
        figure(args.out / f"ccd_band_cavity_{name}_temperature.png", hot, at_p,
               f"Li/{name}, {p:g} MPa: cavity criterion", "temperature_C",
               wide=fixed["band_temperature"], labels=labels, calibration=calibration)


def run(args, model: Model, extra: tuple[str, ...]) -> dict:
    """Sensitivity at the reference pressures, the ensemble of the top inputs against
    pressure and temperature (and, for the cavity model, at the measured points)."""
    name = args.electrolyte
    sens = {p: sensitivity(name, p, args.temperature, model, extra)
            for p in args.reference_pressure}
    top = ranked(list(sens.values()), model.ranges[name], args.top)
    out = {"model": model.name, "sensitivity": {f"{p:g}": rows for p, rows in sens.items()},
           "sampled": [r.label for r in top],
           "ranges": {r.label: [r.low, r.high, r.stated] for r in model.ranges[name]},
           "band_pressure": band(name, [(p, args.temperature) for p in args.pressures], top,
                                 model, extra),
           "band_temperature": band(name, [(args.reference_pressure[0], t)
                                           for t in args.temperatures], top, model, extra)}
    if model.selects == CAVITY:
        out["measured_points"] = at_measurements(args.measured, name, top, model, extra)
    return out


def report(saved: dict) -> None:
    print(f"model: {saved['model']}; sampled: {', '.join(saved['sampled'])}")
    for p, rows in saved["sensitivity"].items():
        for row in rows:
            print(f"  {p} MPa: S = {row['S']:.3g}  {row['input']}  [{row['low']:.3g}, "
                  f"{row['high']:.3g}] -> CCD {row['ccd_low']:.4g} .. {row['ccd_high']:.4g} "
                  "mA/cm²")
    for row in saved["band_pressure"] + saved["band_temperature"]:
        print(f"  {row['stack_pressure_MPa']:g} MPa, {row['temperature_C']:g} °C: CCD "
              f"{row['nominal']:.4g} mA/cm², band [{row['low']:.4g}, {row['high']:.4g}]")
    for row in saved.get("measured_points", []):
        print(f"  measured {row['label']} ({row['role']}), {row['stack_pressure_MPa']:g} MPa, "
              f"{row['temperature_C']:g} °C: {row['measured']:g} mA/cm²; predicted "
              f"{row['nominal']:.4g}, band [{row['low']:.4g}, {row['high']:.4g}]: "
              f"{'inside' if row['inside'] else 'outside'}")


def main() -> None:
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("reduced", "cavity"), default="reduced",
                        help="reduced: bisection searches; cavity: the coupled model's cavity "
                             "criterion (closed form, ℓ_eff fitted again and fixed)")
    parser.add_argument("--electrolyte", choices=sorted(STUDY), default="LLZO")
    parser.add_argument("--pressures", type=float, nargs="+", default=[0.0, 1.0, 2.0],
                        help="stack pressures of the band against pressure [MPa]")
    parser.add_argument("--temperature", type=float, default=25.0,
                        help="temperature of the band against pressure [°C]")
    parser.add_argument("--temperatures", type=float, nargs="*", default=[],
                        help="temperatures of a band against temperature at the first "
                             "reference pressure [°C]")
    parser.add_argument("--reference-pressure", type=float, nargs="+", default=[2.0],
                        help="stack pressures of the sensitivity study [MPa]")
    parser.add_argument("--top", type=int, default=2, help="inputs sampled in the ensemble")
    parser.add_argument("--rtol", type=float, default=0.1, help="bisection precision")
    parser.add_argument("--measured", type=Path, default=MEASURED,
                        help="measured CCDs (CSV) drawn beside the band")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "ccd_band")
    parser.add_argument("--replot", action="store_true",
                        help="redraw the figures from the JSON in --out, no searches")
    args = parser.parse_args()
    prefix = "ccd_band" if args.model == "reduced" else "ccd_band_cavity"
    path = args.out / f"{prefix}_{args.electrolyte}.json"
    if args.replot:
        draw(args, json.loads(path.read_text()))
        return
    comm = MPI.COMM_WORLD
    extra = (f"evolution.ccd.rtol={args.rtol}",)
    if args.model == "reduced":
        saved = run(args, reduced(comm), extra)
    else:
        saved = run(args, cavity(recalibrate=True), extra)
        saved["fixed_length"] = run(args, cavity(recalibrate=False), extra)
    if comm.rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        saved["electrolyte"] = args.electrolyte
        path.write_text(json.dumps(saved, indent=1))
        draw(args, saved)
        report(saved)
        if "fixed_length" in saved:
            report(saved["fixed_length"])


if __name__ == "__main__":
    main()
