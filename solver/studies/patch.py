"""``lisse study``: the debonded-patch study from a YAML file to a results folder.

The study file has its own small schema (``StudySpec``; every model forbids unknown keys,
errors are one line naming the field). The run writes ``patch_study.csv`` (one row per
contact condition, ā and n), ``patch_study.json`` (the table, the scales, the criterion and
the provenance), ``config_resolved.yaml``, ``run.json`` and two plots, through
``solver.io.runfolder.RunFolder``. Physics: ``solver.physics.patch_flow`` (the reduced model:
the instantaneous steady creep flow of a bonded Li); a file with ``study:
debonded_patch_coupled`` runs the coupled interface model instead (``patch_coupled``).
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from lisse.solver.config.base import Integer, Number, _Strict, not_empty, plain_name
from lisse.solver.config.params import FARADAY
from lisse.solver.config.schema import apply_overrides, validation_message
from lisse.solver.config.yaml_loader import load_mapping
from lisse.solver.errors import ConfigError
from lisse.solver.studies.patch_coupled import STUDY as COUPLED
from lisse.solver.studies.patch_coupled import CoupledPatchSpec
from lisse.units import A_M2_PER_MA_CM2, UM_PER_M

COLUMNS = (
    "contact",
    "abar",
    "n",
    "k_J",
    "v_ratio",
    "collector_velocity",
    "roof_flux",
    "opens",
    "newton_iterations",
)
CRITERION = (
    "R = v_c/v_far, the velocity of the Li surface at the patch centre over the "
    "far-field interface velocity (both relative to the electrolyte, v_far = "
    "-Omega j_far/F < 0). The gap over the centre changes at dh/dt = v_c = -R|v_far|: "
    "the patch opens (grows) if R < 0 and closes if R > 0; R = 1 is a rigid Li."
)


class CellSpec(_Strict):
    """Unit-cell proportions in units of the patch radius a."""

    patch_radius_um: Number = Field(1.0, gt=0)  # a: sets units only (results depend on ratios)
    width_ratio: Number = Field(10.0, gt=1)  # cell radius W/a
    lithium_thickness_ratio: Number = Field(10.0, gt=0)
    electrolyte_thickness_ratio: Number = Field(10.0, gt=0)
    patch_height_ratio: Number = Field(0.05, gt=0, le=0.5)  # h/a of the (nearly flat) patch
    # collector: rigid collector under the mean pressure, symmetric outer radius (periodic
    # patches); free: traction-free top and outer radius (one patch, Roy et al. 2021)
    lithium_boundary: Literal["collector", "free"] = "collector"

    @model_validator(mode="after")
    def _height_fits(self) -> Self:
        if self.patch_height_ratio >= self.lithium_thickness_ratio / 2:
            raise ValueError("patch_height_ratio must be < lithium_thickness_ratio / 2")
        return self


class MeshSpec(_Strict):
    """Element sizes over a for the current; the creep flow uses them × flow_mesh_scale."""

    size_ratio: Number = Field(1.0, gt=0)
    interface_size_ratio: Number = Field(0.05, gt=0)
    edge_size_ratio: Number = Field(0.001, gt=0)
    growth_rate: Number = Field(0.1, ge=0.02, le=2)
    flow_mesh_scale: Number = Field(2.0, ge=1, le=10)


class SweepSpec(_Strict):
    abar: list[Number] = Field(
        default_factory=lambda: [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0], min_length=1
    )  # a/(κZ)
    creep_exponents: list[Number] = Field(
        default_factory=lambda: [1.0, 5.0, 20.0], min_length=1
    )  # n
    contacts: list[Literal["sticking", "frictionless"]] = Field(
        default_factory=lambda: ["sticking", "frictionless"], min_length=1
    )
    stack_pressure_ratio: Number = 0.0  # P/σ_ref on the collector (compressive > 0)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        for name, low, high in (("abar", 1e-3, 1e4), ("creep_exponents", 1.0, 50.0)):
            for i, value in enumerate(getattr(self, name)):
                if not low <= value <= high:
                    raise ValueError(f"{name}.{i}: must be in [{low:g}, {high:g}] (got {value:g})")
        for name in ("abar", "creep_exponents", "contacts"):
            if len(set(getattr(self, name))) != len(getattr(self, name)):
                raise ValueError(f"{name}: values must be distinct")
        return self


class ReferenceSpec(_Strict):
    """Dimensional scales, reported only (the dimensionless results do not depend on them):
    v_far = Ω j / F and σ_ref = σ0 (v_far / (a ε̇0))^(1/n)."""

    current_density_mA_cm2: Number = Field(1.0, gt=0)
    creep_stress_MPa: Number = Field(1.0, gt=0)  # σ0
    creep_strain_rate_per_s: Number = Field(0.01, gt=0)  # ε̇0


class NumericsSpec(_Strict):
    regularisation: Number = Field(1e-5, gt=0, lt=1e-2)  # δ over v_far/a
    continuation_factor: Number = Field(2.0, gt=1, le=4)  # n grows by at most this factor
    max_newton_iterations: Integer = Field(50, ge=5, le=1000)  # per Newton solve of the flow


class OutputSpec(_Strict):
    directory: str | None = None  # default results/<name>
    plots: bool = True

    _not_empty = field_validator("directory")(not_empty)


class StudySpec(_Strict):
    """A debonded-patch study file."""

    name: str = Field("debonded_patch", min_length=1)
    # debonded_patch: the reduced model (physics.patch_flow, the sections cell … numerics);
    # debonded_patch_coupled: the coupled interface model (the section coupled, patch_coupled)
    study: Literal["debonded_patch", "debonded_patch_coupled"] = "debonded_patch"
    coupled: CoupledPatchSpec = Field(default_factory=CoupledPatchSpec)
    cell: CellSpec = Field(default_factory=CellSpec)
    mesh: MeshSpec = Field(default_factory=MeshSpec)
    sweep: SweepSpec = Field(default_factory=SweepSpec)
    reference: ReferenceSpec = Field(default_factory=ReferenceSpec)
    numerics: NumericsSpec = Field(default_factory=NumericsSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)

    _plain_name = field_validator("name")(plain_name)

    @model_validator(mode="after")
    def _fill(self) -> Self:
        other = ({"cell", "mesh", "sweep", "reference", "numerics"} if self.study == COUPLED
                 else {"coupled"}) & self.model_fields_set
        if other:
            raise ValueError(f"{sorted(other)[0]}: not a section of a {self.study} study")
        if self.cell.lithium_boundary == "free" and self.sweep.stack_pressure_ratio != 0:
            raise ValueError(
                "sweep.stack_pressure_ratio: must be 0 with cell.lithium_boundary: free "
                "(the Li top is traction-free)"
            )
        if self.output.directory is None:
            self.output.directory = f"results/{self.name}"
        return self

    def cell_model(self):
        from lisse.solver.physics.patch_flow import PatchCell

        c, m = self.cell, self.mesh
        return PatchCell(
            radius=c.patch_radius_um / UM_PER_M,
            width=c.width_ratio,
            lithium=c.lithium_thickness_ratio,
            electrolyte=c.electrolyte_thickness_ratio,
            height=c.patch_height_ratio,
            size=m.size_ratio,
            interface_size=m.interface_size_ratio,
            edge_size=m.edge_size_ratio,
            growth=m.growth_rate,
            flow_mesh_scale=m.flow_mesh_scale,
        )


def load_study(path: str | Path, overrides=()) -> StudySpec:
    """Read and validate a study file (``--set`` overrides as for cases)."""
    path = Path(path)
    data = load_mapping(path, "study")
    data = apply_overrides(data, overrides)
    data.setdefault("name", path.stem)
    try:
        return StudySpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_message(exc)) from None


def _message(exc: ValidationError) -> str:
    """One line naming the field; a model-level error names the field in its text."""
    first = exc.errors()[0]
    if first["type"] == "value_error":
        location = ".".join(str(p) for p in first["loc"])
        text = first["msg"].removeprefix("Value error, ")
        return f"{location + '.' if location else ''}{text}"
    return validation_message(exc, StudySpec)


def reference_scales(spec: StudySpec) -> dict:
    """v_far [m/s] for the reference current density and σ_ref [MPa] for each n."""
    from lisse.solver.config.materials import material_value

    omega = material_value("Li", "molar_volume_m3_mol")
    ref = spec.reference
    v_far = omega * ref.current_density_mA_cm2 * A_M2_PER_MA_CM2 / FARADAY
    rate = v_far / (spec.cell.patch_radius_um / UM_PER_M * ref.creep_strain_rate_per_s)
    return {
        "molar_volume_m3_mol": omega,
        "far_field_velocity_m_s": v_far,
        "reference_stress_MPa": {
            f"{n:g}": ref.creep_stress_MPa * rate ** (1 / n) for n in spec.sweep.creep_exponents
        },
    }


def csv_table(results) -> str:
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    for r in results:
        out.write(
            f"{r.contact},{r.abar:g},{r.n:g},{r.k_J:.6f},{r.v_ratio:.6f},"
            f"{r.collector_velocity:.6f},{r.roof_flux:.6f},{int(r.opens)},"
            f"{r.newton_iterations}\n"
        )
    return out.getvalue()


def run_study(spec: StudySpec, outdir, comm, argv=None, resume=None) -> list:
    """Run the study and write its folder; returns the PatchResult list. The finished
    points (contact, ā) are logged in the staging folder (``patch_checkpoint``); SIGTERM or
    SIGINT stops the study after the point in flight (``Interrupted``, exit code 3) and
    ``resume`` (the stopped study's folder) goes on from the logged points."""
    from lisse.solver.io.checkpoint import Interrupted, StopRequests
    from lisse.solver.io.progress import Progress
    from lisse.solver.io.runfolder import RunFolder, versions
    from lisse.solver.physics.patch_flow import patch_cases
    from lisse.solver.studies.patch_checkpoint import PointLog

    if spec.study == COUPLED:
        from lisse.solver.studies.patch_coupled import run_coupled_study

        return run_coupled_study(spec, outdir, comm, argv, resume)
    config = spec.model_dump(mode="json", exclude={"coupled"})
    stops = StopRequests()
    log = PointLog(comm, config, len(spec.sweep.contacts) * len(spec.sweep.abar), stops)
    if resume is not None:
        log.load(resume)
    folder = RunFolder(outdir, comm)
    try:
        log.attach(folder)
        start = time.perf_counter()
        cell = spec.cell_model()
        progress = Progress("study points (contact, ā)", total=log.total, comm=comm)
        progress.advance(len(log.done))

        def after(contact: str, abar: float, results: list) -> None:
            progress.advance(message=f"contact {contact}, ā = {abar:g}")
            log.after(contact, abar, results)

        with stops:
            results = patch_cases(
                cell,
                spec.sweep.abar,
                spec.sweep.creep_exponents,
                spec.sweep.contacts,
                comm,
                spec.sweep.stack_pressure_ratio,
                spec.numerics.regularisation,
                lithium_boundary=spec.cell.lithium_boundary,
                continuation_factor=spec.numerics.continuation_factor,
                max_newton_iterations=spec.numerics.max_newton_iterations,
                done=log.done,
                after=after,
            )
        progress.close()
        wall = time.perf_counter() - start
        folder.write_text("config_resolved.yaml", yaml.safe_dump(config, sort_keys=False))
        folder.write_json(
            "run.json",
            {"versions": versions(), "command": argv, "mpi_ranks": comm.size, "wall_time_s": wall},
        )
        folder.write_text("patch_study.csv", csv_table(results))
        folder.write_json(
            "patch_study.json",
            {
                "criterion": CRITERION,
                "stack_pressure_ratio": spec.sweep.stack_pressure_ratio,
                "lithium_boundary": spec.cell.lithium_boundary,
                "scales": reference_scales(spec),
                "flow_unknowns": results[0].dofs,
                "results": [
                    {k: getattr(r, k) for k in COLUMNS if k != "opens"} | {"opens": r.opens}
                    for r in results
                ],
            },
        )
        if spec.output.plots and comm.rank == 0:
            flux_concentration(folder.path("flux_concentration.png"), results)
            centre_velocity(folder.path("centre_velocity.png"), results)
        log.finish()
    except Interrupted:  # the staging folder keeps the point log
        raise
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return results


def summary_lines(results, out: Path) -> list[str]:
    """Terminal summary: R per contact condition and n across ā (the coupled study: per
    point)."""
    if results and not hasattr(results[0], "abar"):
        from lisse.solver.studies.patch_coupled import summary_lines as coupled_lines

        return [f"results: {Path(out).resolve()}", *coupled_lines(results)]
    abars = sorted({r.abar for r in results})
    lines = [
        f"results: {Path(out).resolve()}",
        "  ā = a/(κZ)      " + " ".join(f"{a:>8g}" for a in abars),
        "  k_J             "
        + " ".join(f"{next(r.k_J for r in results if r.abar == a):8.3f}" for a in abars),
    ]
    for contact in dict.fromkeys(r.contact for r in results):
        for n in sorted({r.n for r in results}):
            row = {r.abar: r.v_ratio for r in results if r.contact == contact and r.n == n}
            lines.append(
                f"  R {contact[:5]} n={n:<5g} " + " ".join(f"{row[a]:8.4f}" for a in abars)
            )
    opening = [r for r in results if r.opens]
    lines.append(f"  patch opens (R < 0) in {len(opening)} of {len(results)} cases")
    return lines


def flux_concentration(path, results) -> None:
    """k_J = max j / j_far against ā = a/(κZ) (log-log; both dimensionless)."""
    from lisse import plotstyle

    pairs = sorted({(r.abar, r.k_J) for r in results})
    fig, ax = plotstyle.subplots(figsize=(7, 4.5))
    ax.loglog(*zip(*pairs, strict=True), "o-")
    ax.set_xlabel("ā = a/(κZ) [–]")
    ax.set_ylabel("k_J = max j / j_far [–]")
    ax.set_title("Flux concentration at the patch edge")
    ax.grid(True, which="both")
    plotstyle.save(fig, path)


def centre_velocity(path, results) -> None:
    """R = v_c/v_far against ā, one panel per contact condition, one curve per n; the
    open/close boundary R = 0 and the rigid-Li value R = 1 marked."""
    from lisse import plotstyle

    contacts = list(dict.fromkeys(r.contact for r in results))
    fig, axes = plotstyle.subplots(
        1, len(contacts), figsize=(7 * len(contacts), 5), sharey=True, squeeze=False
    )
    values = [r.v_ratio for r in results]
    low, high = min(min(values), -0.1), max(max(values), 1.1)
    for ax, contact in zip(axes[0], contacts, strict=True):
        for k, n in enumerate(sorted({r.n for r in results})):
            rows = sorted((r.abar, r.v_ratio) for r in results if r.contact == contact and r.n == n)
            ax.semilogx(*zip(*rows, strict=True), "o-", color=f"C{k}", label=f"n = {n:g}")
        ax.axhspan(low - 0.1, 0.0, color=plotstyle.OKABE_ITO[1], alpha=0.1)
        ax.axhline(0.0, color=plotstyle.OKABE_ITO[1], label="R = 0: open / close boundary")
        ax.axhline(1.0, color="k", lw=1.5, ls=":", label="R = 1: rigid Li")
        ax.text(0.02, 0.03, "patch opens (R < 0)", transform=ax.transAxes,
                color=plotstyle.OKABE_ITO[1])
        ax.set_ylim(low - 0.1, high + 0.1)
        ax.set_xlabel("ā = a/(κZ) [–]")
        ax.set_title(f"{contact} contact")
        ax.grid(True, which="both")
    axes[0][0].set_ylabel("R = v_centre / v_far [–]")
    axes[0][-1].legend(loc="best")
    plotstyle.save(fig, path)
