"""The debonded-patch study on the coupled interface model (``study: debonded_patch_coupled``;
issue 12, docs/patch_study.md "The coupled patch study").

The debonded patch is an interface void of radius a and height h on the axis of the
void-growth map's axisymmetric cell (``void_map.cell``: 20 µm radius, 6 µm Li on 12 µm of the
electrolyte, library materials and Li creep law at 25 °C, Butler–Volmer kinetics, the Li a
creeping finite-element body in frictionless unilateral contact with the electrolyte). Each
point (i, p) of the sweep is one coupled evolution (``evolution.interface_model: coupled``)
built by ``studies.model.build_model`` and run by ``void_map.run_point``, stripping the
capacity Q at the current density i under the stack pressure p: the map's cell, machinery and
criterion. Per point:

    sign   +1 the patch grows, −1 it closes, 0 neutral (the map's criterion on V/V0,
           ``void_map``; growth also when the run ends by contact loss);
    V/V0   the void volume per interface area at the end over the meshed one;
    R      (g_max,0 − g_max,end)/δ with δ = (Ω/F) ∫ i dt the stripped thickness [m]: the
           mean descent of the patch apex over δ, the coupled counterpart of the reduced
           study's R = v_c/v_far (``physics.patch_flow``): R = 1 for a rigid Li under a
           uniform flux, R > 0 the apex comes down, R < 0 it lifts off;
    k_J    largest over mean current density on the contact in the first step.

Rigid-Li limit (``creep: false``: ``evolution.supply.creep: false``) under a uniform flux:
the Li translates down by δ, R = 1, and a half-ellipse void g(r) = h √(1 − r²/a²) keeps

    V/V0 = 1 − (3/2) s + s³/2,   s = δ/h ≤ 1   (axisymmetric, ``rigid_void_ratio``).
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict

from pydantic import Field, model_validator

from lisse.solver.config.base import Number, _Strict
from lisse.solver.errors import UserError

STUDY = "debonded_patch_coupled"
COLUMNS = ("electrolyte", "current_density_mA_cm2", "stack_pressure_MPa", "sign",
           "void_ratio", "closure_ratio", "hotspot_factor", "contact_fraction", "contact_lost",
           "steps", "stopped", "wall_time_s")
CRITERION = (
    "sign: +1 the patch (an interface void of radius a, height h) grows (V_end > 1.001 V_0 "
    "or contact loss), -1 it closes (V_end < 0.999 V_0), 0 neutral; V the void volume per "
    "interface area. closure_ratio R = (g_max,0 - g_max,end)/delta, delta = (Omega/F) int i dt "
    "the stripped thickness: 1 for a rigid Li under a uniform flux, > 0 the patch apex comes "
    "down, < 0 it lifts off."
)


class CoupledPatchSpec(_Strict):
    """The ``coupled`` section of a study file with ``study: debonded_patch_coupled``."""

    electrolyte: str = "LLZO"  # material library name
    patch_radius_um: Number = Field(4.0, gt=0, le=15)  # a, in the 20 µm radius cell
    patch_height_um: Number = Field(1.0, gt=0, le=3)  # h, under 6 µm of Li
    capacity_mAh_cm2: Number = Field(0.05, gt=0)  # stripped at each point
    currents_mA_cm2: list[Number] = Field(default_factory=lambda: [0.05, 0.5, 5.0],
                                          min_length=1)
    pressures_MPa: list[Number] = Field(default_factory=lambda: [0.1, 0.63, 4.0],
                                        min_length=1)
    interface_size_um: Number = Field(2.0, gt=0, le=4)  # interface mesh (a quarter at the tips)
    creep: bool = True  # false: the rigid-Li limit

    @model_validator(mode="after")
    def _check(self) -> CoupledPatchSpec:
        from lisse.solver.config.materials import material_names, unknown_material_message

        if self.electrolyte not in material_names("electrolyte"):
            raise ValueError(f"electrolyte: "
                             f"{unknown_material_message(self.electrolyte, 'electrolyte')}")
        for name in ("currents_mA_cm2", "pressures_MPa"):
            values = getattr(self, name)
            for k, value in enumerate(values):
                if value <= 0:
                    raise ValueError(f"{name}.{k}: must be > 0 (got {value:g})")
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: values must be distinct")
        return self


def case(spec: CoupledPatchSpec, current_mA_cm2: float, pressure_MPa: float) -> dict:
    """The coupled evolution case of one point: the void-growth map's cell with the patch."""
    from lisse.solver.studies.void_map import cell

    data = cell(spec.electrolyte, current_mA_cm2, pressure_MPa, spec.capacity_mAh_cm2,
                spec.patch_radius_um, spec.patch_height_um, spec.interface_size_um)
    data["name"] = STUDY
    data["evolution"]["supply"]["creep"] = spec.creep
    return data


def rigid_void_ratio(stripped: float, height: float) -> float:
    """V/V0 = 1 − (3/2)s + s³/2 (s = δ/h, 0 for s ≥ 1) of a half-ellipse axisymmetric void
    whose roof comes down rigidly by δ = ``stripped`` [m] (``height`` h [m])."""
    s = min(stripped / height, 1.0)
    return 1 - 1.5 * s + 0.5 * s**3


def run_points(spec: CoupledPatchSpec, comm, say=None) -> list:
    """The sweep (pressures × currents): a list of ``void_map.MapPoint``; ``say(point)``
    after each."""
    from lisse.solver.studies.void_map import run_point

    points = []
    for p in spec.pressures_MPa:
        for i in spec.currents_mA_cm2:
            points.append(run_point(case(spec, i, p), comm))
            if say is not None:
                say(points[-1])
    return points


def csv_table(points) -> str:
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    for point in points:
        row = asdict(point) | {"wall_time_s": point.seconds}
        out.write(",".join(str(row[k]) for k in COLUMNS) + "\n")
    return out.getvalue()


def run_coupled_study(spec, outdir, comm, argv=None, resume=None) -> list:
    """Run a ``debonded_patch_coupled`` study file (``spec``: patch.StudySpec) into
    ``outdir``: ``patch_study.csv``, ``patch_study.json``, ``closure_ratio.png``,
    ``config_resolved.yaml``, ``run.json``."""
    import yaml

    from lisse.solver.io.progress import Progress
    from lisse.solver.io.runfolder import RunFolder, versions

    if resume is not None:
        raise UserError("--resume: the coupled patch study keeps no point log (run it again)")
    c = spec.coupled
    folder = RunFolder(outdir, comm)
    try:
        start = time.perf_counter()
        progress = Progress("study points (i, p)", comm=comm,
                            total=len(c.currents_mA_cm2) * len(c.pressures_MPa))
        points = run_points(c, comm, lambda pt: progress.advance(
            message=f"i = {pt.current_density_mA_cm2:g} mA/cm², "
                    f"p = {pt.stack_pressure_MPa:g} MPa"))
        progress.close()
        config = spec.model_dump(mode="json", include={"name", "study", "coupled", "output"})
        folder.write_text("config_resolved.yaml", yaml.safe_dump(config, sort_keys=False))
        folder.write_json("run.json", {"versions": versions(), "command": argv,
                                       "mpi_ranks": comm.size,
                                       "wall_time_s": time.perf_counter() - start})
        folder.write_text("patch_study.csv", csv_table(points))
        folder.write_json("patch_study.json", {
            "criterion": CRITERION, "model": "coupled interface model", "coupled": config[
                "coupled"], "results": [{k: asdict(p)[k] for k in COLUMNS if k != "wall_time_s"}
                                        for p in points]})
        if spec.output.plots and comm.rank == 0:
            closure_plot(folder.path("closure_ratio.png"), points)
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return points


def summary_lines(points) -> list[str]:
    """Terminal summary: sign, V/V0 and R per (p, i)."""
    words = {1: "grows", -1: "closes", 0: "neutral"}
    lines = [f"  p = {p.stack_pressure_MPa:g} MPa, i = {p.current_density_mA_cm2:g} mA/cm²: "
             f"{words[p.sign]}, V/V0 = {p.void_ratio:.3g}, R = {p.closure_ratio:.3g}, "
             f"k_J = {p.hotspot_factor:.3g}" for p in points]
    growing = sum(p.sign == 1 for p in points)
    return [*lines, f"  patch grows in {growing} of {len(points)} points"]


def closure_plot(path, points) -> None:
    """Left: V/V0 at the end; right: R (apex descent over the stripped thickness, symmetric
    log axis), against the current density, one curve per stack pressure; filled markers
    where the patch grows; V/V0 = 1, R = 0 and R = 1 (rigid Li) marked."""
    from lisse import plotstyle

    fig, axes = plotstyle.subplots(1, 2, figsize=(12, 4.5), squeeze=False)
    left, right = axes[0]
    for k, p in enumerate(sorted({pt.stack_pressure_MPa for pt in points})):
        rows = sorted((pt.current_density_mA_cm2, max(pt.void_ratio, 1e-3), pt.closure_ratio,
                       pt.sign) for pt in points if pt.stack_pressure_MPa == p)
        currents, volumes, ratios, signs = zip(*rows, strict=True)
        for ax, values in ((left, volumes), (right, ratios)):
            ax.plot(currents, values, "-", color=f"C{k}", label=f"p = {p:g} MPa")
            for i, v, s in zip(currents, values, signs, strict=True):
                ax.plot(i, v, "o", color=f"C{k}", mfc=f"C{k}" if s == 1 else "white")
    left.axhline(1.0, color="0.4", ls="--", label="V/V0 = 1")
    left.set_yscale("log")
    left.set_ylabel("V/V0 at the end (floor 1e-3) [–]")
    right.axhline(0.0, color="0.4", ls="--", label="R = 0")
    right.axhline(1.0, color="k", lw=1.5, ls=":", label="R = 1: rigid Li")
    right.set_yscale("symlog", linthresh=1.0)
    right.set_ylabel("R = apex descent / δ stripped [–]")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("stripping current density i [mA/cm²]")
        ax.grid(True, which="both")
        ax.legend(loc="best")
    fig.suptitle("Debonded patch on the coupled model (filled markers: the patch grows)")
    plotstyle.save(fig, path)
