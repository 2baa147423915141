"""CCD uncertainty band from the materials library's stated ranges (issue 13, part 5).

1. **Sensitivity** (one at a time): at a reference point (electrolyte, stack pressure,
   temperature) the stripping CCD with one input at the low and at the high end of the range
   the library states for it, every other input nominal; the sensitivity of the input is
   S = |ln(CCD_high / CCD_low)|. An input whose two ends leave the resolved parameters
   unchanged (it does not reach the model at that point) has S = 0 without a run.
2. **Ensemble**: the ``--top`` inputs of largest S at every corner of their ranges (2^top
   cases) at every stack pressure and temperature asked for; the band is the smallest and
   the largest CCD of the corners. Every CCD is one ``lisse ccd`` bisection of the shipped
   unit cell (``configs/studies/ccd_*_axisymmetric.yaml``, reduced interface model).
   The corners bound the CCD if it is monotone in each input (expected: faster vacancy
   diffusion and a higher conductivity both help; not checked between the corners); inputs
   outside the top set stay nominal. The searches run one after the other in this process,
   not on the sweep engine (which runs steady and evolution cases, not CCD searches).
3. **Figures**: CCD against stack pressure, nominal prediction and band, with the measured
   CCDs of ``--measured`` (default configs/experiments/ccd_measurements.csv, the blind
   table's); with ``--temperatures``, also CCD against temperature at the reference
   pressure. Written to ``--out`` with a JSON of every number.

The ranges are the ones the library's notes and sources state (``RANGES``; the test
checks every nominal value lies inside its range). Inputs with no stated range (the Li
creep law, the exchange current densities) are not sampled: the band does not cover them.

    .venv/bin/python scripts/ccd_uncertainty.py --electrolyte LLZO \\
        --pressures 0 0.5 1 1.5 2 3 --reference-pressure 2 --temperatures 0 25 60
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import lisse  # noqa: F401  (DOLFINx wheel set-up)
from lisse.solver.config import materials
from lisse.solver.config.schema import load_case, resolve
from lisse.units import A_M2_PER_MA_CM2, FARADAY, J_PER_KJ, PA_PER_MPA, kelvin

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

    def override(self, value: float) -> str:
        return f"materials.{self.slot}={{name: {self.material}, {self.key}: {value!r}}}"


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


def sensitivity(electrolyte: str, pressure_MPa: float, celsius: float, comm,
                extra: tuple[str, ...] = (), base=None, ranges=None) -> list[dict]:
    """One-at-a-time sensitivity S = |ln(CCD(high)/CCD(low))| of every range, largest
    first."""
    rows = []
    for r in ranges or RANGES[electrolyte]:
        ends = [params(electrolyte, pressure_MPa, celsius, (*extra, r.override(v)), base)
                for v in (r.low, r.high)]
        if ends[0] == ends[1]:
            rows.append({"input": r.label, "low": r.low, "high": r.high, "ccd_low": math.nan,
                         "ccd_high": math.nan, "S": 0.0, "reaches": False})
            continue
        low, high = (ccd_mA_cm2(p, comm)[0] for p in ends)
        rows.append({"input": r.label, "low": r.low, "high": r.high, "ccd_low": low,
                     "ccd_high": high, "S": abs(math.log(high / low)), "reaches": True})
    return sorted(rows, key=lambda row: -row["S"])


def band(electrolyte: str, conditions: list[tuple[float, float]], inputs: list[Range],
         comm, extra: tuple[str, ...] = (), base=None) -> list[dict]:
    """Nominal CCD and the ensemble band (min, max over the corners of ``inputs``) at each
    (stack pressure [MPa], temperature [°C]) of ``conditions`` [mA/cm²]."""
    rows = []
    for p, celsius in conditions:
        nominal_ccd = ccd_mA_cm2(params(electrolyte, p, celsius, extra, base), comm)[0]
        corners = []
        for corner in itertools.product(*((r.low, r.high) for r in inputs)):
            sampled = (r.override(v) for r, v in zip(inputs, corner, strict=True))
            corners.append(ccd_mA_cm2(params(electrolyte, p, celsius, (*extra, *sampled),
                                             base), comm)[0])
        rows.append({"stack_pressure_MPa": p, "temperature_C": celsius, "nominal": nominal_ccd,
                     "low": min(corners), "high": max(corners), "corners": corners})
    return rows


def measured(path: Path, electrolyte: str, x: str) -> list[tuple[float, float, str]]:
    """(x, CCD [mA/cm²], label) of the rows of a measurements CSV (columns electrolyte,
    stack_pressure_MPa, temperature_C, ccd_mA_cm2, label) for one electrolyte."""
    with open(path, newline="") as f:
        return [(float(row[x]), float(row["ccd_mA_cm2"]),
                 f"{row['label']}, {float(row['temperature_C']):g} °C")
                for row in csv.DictReader(f) if row["electrolyte"] == electrolyte]


def figure(path: Path, rows: list[dict], points: list[tuple[float, float, str]],
           title: str, x_key: str = "stack_pressure_MPa") -> None:
    """CCD against stack pressure (or temperature, ``x_key="temperature_C"``): nominal
    prediction, ensemble band, measured ``points`` (x, CCD [mA/cm²], label)."""
    from lisse import plotstyle
    fig, ax = plotstyle.subplots(figsize=(10, 4.5))
    x = [r[x_key] for r in rows]
    ax.fill_between(x, [r["low"] for r in rows], [r["high"] for r in rows], alpha=0.3,
                    color=plotstyle.OKABE_ITO[0], label="band: library ranges (ensemble)")
    ax.plot(x, [r["nominal"] for r in rows], "o-", color=plotstyle.OKABE_ITO[0],
            label="predicted, library values")
    for k, label in enumerate(dict.fromkeys(lab for _, _, lab in points)):
        pts = [(p, c) for p, c, lab in points if lab == label]
        ax.plot([p for p, _ in pts], [c for _, c in pts], "*", ms=14, ls="none",
                color=plotstyle.OKABE_ITO[1 + k % 6], label=f"measured: {label}")
    ax.set_yscale("log")
    ax.set_xlabel(plotstyle.key_label(x_key))
    ax.set_ylabel("stripping CCD [mA/cm²]")
    ax.set_title(title)
    ax.grid(True, which="both")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    plotstyle.save(fig, path, formats=("png",))


def draw(args, rows: list[dict], hot: list[dict]) -> None:
    """The band against stack pressure (with the measurements) and, if computed, against
    temperature, into ``args.out``."""
    name = args.electrolyte
    figure(args.out / f"ccd_band_{name}.png", rows,
           measured(args.measured, name, "stack_pressure_MPa"),
           f"Li/{name}, {rows[0]['temperature_C']:g} °C")
    if hot:
        figure(args.out / f"ccd_band_{name}_temperature.png", hot, [],
               f"Li/{name}, {hot[0]['stack_pressure_MPa']:g} MPa", "temperature_C")


def main() -> None:
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--electrolyte", choices=sorted(STUDY), default="LLZO")
    parser.add_argument("--pressures", type=float, nargs="+", default=[0.0, 1.0, 2.0],
                        help="stack pressures of the band against pressure [MPa]")
    parser.add_argument("--temperature", type=float, default=25.0,
                        help="temperature of the band against pressure [°C]")
    parser.add_argument("--temperatures", type=float, nargs="*", default=[],
                        help="temperatures of a band against temperature at the reference "
                             "pressure [°C]")
    parser.add_argument("--reference-pressure", type=float, default=2.0,
                        help="stack pressure of the sensitivity study [MPa]")
    parser.add_argument("--top", type=int, default=2, help="inputs sampled in the ensemble")
    parser.add_argument("--rtol", type=float, default=0.1, help="bisection precision")
    parser.add_argument("--measured", type=Path, default=MEASURED,
                        help="measured CCDs (CSV) drawn beside the band")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "ccd_band")
    parser.add_argument("--replot", action="store_true",
                        help="redraw the figures from the JSON in --out, no searches")
    args = parser.parse_args()
    if args.replot:
        saved = json.loads((args.out / f"ccd_band_{args.electrolyte}.json").read_text())
        draw(args, saved["band_pressure"], saved["band_temperature"])
        return
    comm = MPI.COMM_WORLD
    extra = (f"evolution.ccd.rtol={args.rtol}",)
    name = args.electrolyte
    sens = sensitivity(name, args.reference_pressure, args.temperature, comm, extra)
    by_label = {r.label: r for r in RANGES[name]}
    top = [by_label[row["input"]] for row in sens[:args.top] if row["S"] > 0]
    rows = band(name, [(p, args.temperature) for p in args.pressures], top, comm, extra)
    hot = band(name, [(args.reference_pressure, t) for t in args.temperatures], top, comm,
               extra)
    if comm.rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"ccd_band_{name}.json").write_text(json.dumps(
            {"electrolyte": name, "sensitivity": sens, "sampled": [r.label for r in top],
             "ranges": {r.label: [r.low, r.high, r.stated] for r in RANGES[name]},
             "band_pressure": rows, "band_temperature": hot}, indent=1))
        draw(args, rows, hot)
        for row in sens:
            print(f"S = {row['S']:.3g}  {row['input']}  [{row['low']:.3g}, {row['high']:.3g}]"
                  f" -> CCD {row['ccd_low']:.3g} .. {row['ccd_high']:.3g} mA/cm²")
        for row in rows + hot:
            print(f"{row['stack_pressure_MPa']:g} MPa, {row['temperature_C']:g} °C: CCD "
                  f"{row['nominal']:.3g} mA/cm², band [{row['low']:.3g}, {row['high']:.3g}]")


if __name__ == "__main__":
    main()
