"""``lisse ccd --plating``: the plating CCD of a case's ``plating:`` section — the largest mean
plating current density for which its governing Li-filled flaw does not reach K_IC within the
plating time (``solver.physics.flaw_extrusion``: deposition in, creep extrusion out, capped by
the overpotential bound; docs/fracture.md). A lumped model: the case's geometry, mesh and
evolution sections are not used.

Flaw population (``plating.flaw_population``): the CCD falls with flaw depth, so the flaw
that governs is the largest; with N = density × area flaws it is taken as the depth exceeded
with probability 1/N (the characteristic largest value):
lognormal a = a_med exp(σ Φ⁻¹(1 − 1/N)); Weibull a = λ (ln N)^(1/k).
"""

from __future__ import annotations

import math
import time
from statistics import NormalDist

import numpy as np
import yaml

from lisse.solver.config.schema import Case, resolved_dict
from lisse.solver.errors import UserError
from lisse.solver.io import fracture_plots
from lisse.solver.io.runfolder import RunFolder, run_record
from lisse.solver.physics.flaw_extrusion import (
    SlitFlaw,
    extrusion_ccd,
    material_slit_flaw,
    pressure_history,
)
from lisse.solver.physics.plating import material_plating_ccd
from lisse.units import (
    A_M2_PER_MA_CM2,
    PA_PER_MPA,
    SECONDS_PER_HOUR,
    UM_PER_M,
)

USED_KEYS = ("fracture_toughness_MPa_m05", "youngs_modulus_GPa", "poisson_ratio",
             "li_exchange_current_density_mA_cm2",
             "li_exchange_current_density_activation_energy_kJ_mol")


def governing_depth(case: Case) -> tuple[float, str]:
    """The depth [m] of the flaw that governs and how it was chosen."""
    spec = case.plating
    if spec.flaw_population is None:
        return spec.flaw_depth_um / UM_PER_M, "single flaw (plating.flaw_depth_um)"
    pop = spec.flaw_population
    count = pop.density_1_mm2 * pop.electrode_area_mm2
    if count <= 1:
        raise UserError(f"plating.flaw_population: {count:.3g} flaws expected on the "
                        f"electrode (density × area); need more than 1")
    if pop.distribution == "lognormal":  # ln a [ln µm]
        log_depth = math.log(pop.median_depth_um) - pop.shape * NormalDist().inv_cdf(1 / count)
    else:
        log_depth = math.log(pop.scale_depth_um) + math.log(math.log(count)) / pop.shape
    if not math.log(1e-3) <= log_depth <= math.log(1e4):
        raise UserError(f"plating.flaw_population: the governing flaw depth exp({log_depth:.4g})"
                        f" µm is outside 0.001-10000 µm")
    depth = math.exp(log_depth)
    return depth / UM_PER_M, (f"expected largest of {count:.4g} {pop.distribution} flaws "
                              f"(depth exceeded with probability 1/N)")


def case_flaw(case: Case, depth: float) -> SlitFlaw:
    """The ``SlitFlaw`` of a case's plating section at a flaw depth [m]."""
    spec = case.plating
    name = case.materials.electrolyte.name
    if case.materials.electrolyte.values().get("fracture_toughness_MPa_m05") is None:
        raise UserError(f"materials.electrolyte: {name} has no fracture_toughness_MPa_m05 "
                        f"in the library (needed by lisse ccd --plating)")
    return material_slit_flaw(
        name, depth, spec.slit_width_um / UM_PER_M, case.temperature_C,
        focusing=spec.focusing, stack_pressure=spec.stack_pressure_MPa * PA_PER_MPA,
        lateral_stress_ratio=spec.lateral_stress_ratio)


def check_plating(case: Case, vary: str | None, measurements) -> None:
    """Refuse what plating mode does not support (one-line UserError, exit 2)."""
    if case.plating is None:
        raise UserError("lisse ccd --plating: the case has no plating: section "
                        "(docs/fracture.md)")
    if vary or measurements is not None:
        raise UserError("lisse ccd --plating: --vary and --measurements are not supported "
                        "(run one case per value)")
    used = set(USED_KEYS) & set(case.materials.electrolyte.overrides)
    if used:
        raise UserError(f"materials.electrolyte.{sorted(used)[0]}: overrides are not supported "
                        f"by lisse ccd --plating (it uses the library values)")
    library = case.materials.electrolyte.values()["li_exchange_current_density_mA_cm2"]
    if case.interface.exchange_current_density_mA_cm2 not in (None, library):
        raise UserError("interface.exchange_current_density_mA_cm2: not supported by lisse ccd "
                        "--plating (it uses the library i0 of materials.electrolyte)")


def plating_ccd(case: Case) -> dict:
    """The plating CCD of a case and its governing flaw (units in the keys)."""
    spec = case.plating
    depth, why = governing_depth(case)
    flaw = case_flaw(case, depth)
    duration = None if spec.plating_time_h is None else spec.plating_time_h * SECONDS_PER_HOUR
    ccd = extrusion_ccd(flaw, duration, spec.rtol)
    bound = material_plating_ccd(case.materials.electrolyte.name, depth, case.temperature_C,
                                 focusing=spec.focusing, stack_pressure=flaw.stack_pressure,
                                 lateral_stress_ratio=flaw.lateral_stress_ratio)
    return {"mode": "plating", "ccd_mA_cm2": ccd / A_M2_PER_MA_CM2,
            "overpotential_bound_ccd_mA_cm2": bound / A_M2_PER_MA_CM2,
            "governing_flaw": {"depth_um": depth * UM_PER_M, "chosen_as": why,
                               "slit_width_um": spec.slit_width_um},
            "fracture_toughness_MPa_m05": flaw.fracture_toughness / PA_PER_MPA,
            "critical_li_pressure_MPa": (flaw.critical_excess_pressure + flaw.stack_pressure)
            / PA_PER_MPA,
            "plating_time_h": spec.plating_time_h, "precision": spec.rtol,
            "electrolyte": case.materials.electrolyte.name, "temperature_C": case.temperature_C}


def run_plating_ccd(case: Case, outdir, comm, argv: list[str] | None = None) -> dict:
    """Write ccd.json, plating_pressure.csv (K_I and p_Li against time at the CCD; over the
    plating time, or 10 filling times τ when it is unlimited) and plating_pressure.png."""
    start = time.perf_counter()
    result = plating_ccd(case)
    depth = result["governing_flaw"]["depth_um"] / UM_PER_M
    flaw = case_flaw(case, depth)
    j = result["ccd_mA_cm2"] * A_M2_PER_MA_CM2
    if case.plating.plating_time_h is not None:
        duration = case.plating.plating_time_h * SECONDS_PER_HOUR
    else:
        duration = 10 * flaw.storage * flaw.steady_pressure(j) / flaw.deposition(j)
    history = pressure_history(flaw, j, duration)
    p_li = history.excess_pressure + flaw.stack_pressure
    folder = RunFolder(outdir, comm)
    try:
        folder.write_text("config_resolved.yaml", yaml.safe_dump(resolved_dict(case),
                                                                 sort_keys=False))
        folder.write_json("run.json", run_record(case, argv, comm)
                          | {"wall_time_s": time.perf_counter() - start})
        folder.write_json("ccd.json", {"results": [result]})
        folder.write_csv("plating_pressure.csv",
                         ["time_s", "li_pressure_MPa", "stress_intensity_MPa_m05"],
                         np.column_stack([history.time, p_li / PA_PER_MPA,
                                          history.stress_intensity / PA_PER_MPA]))
        if comm.rank == 0 and case.output.plots:
            fracture_plots.plating_pressure_history(
                folder.path("plating_pressure.png"), history.time, p_li,
                history.stress_intensity, flaw.fracture_toughness, j,
                formats=case.output.figure_formats)
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return result
