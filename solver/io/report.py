"""``lisse report RESULTS``: one self-contained HTML page (``report.html``, its figures
embedded as base64 ``data:`` URIs, rendered from ``templates/report.html.j2``) and a Markdown
summary (``report.md`` beside the PNGs) of any results folder lisse writes:

========== ================================== ========================================
kind       recognised by                      shown
========== ================================== ========================================
sweep      ``sweep.json``                     status tally, the table, metrics against
                                              the varied parameters, profiles, histories
ccd        ``ccd.json``                       the CCD (and bracket) per value
study      ``patch_study.json``               the patch-study table
evolution  ``summary.json`` + timeseries.csv  summary, cell voltage and contact fraction
                                              against time, the run's pictures
mechanics  ``summary.json`` + mechanics keys  summary, the run's pictures
steady     ``summary.json``                   summary, interface current profile
========== ================================== ========================================

Every page has a title, the headline numbers (4 significant digits, units from the column
names written as on the plots, ``unit``: µm, Ω cm²), the figures, the provenance (versions,
command line, MPI ranks and wall time from ``run.json``/``summary.json``) and the resolved
config (``config_resolved.yaml``; for a sweep ``sweep.json``) in a collapsible block.

A run report re-draws the interface current profile from ``interface.csv`` and shows the
run's own pictures (current field, and any other PNG such as stress maps). A sweep report
rebuilds the sweep table from the case folders, then plots every headline metric against
every varied parameter (one line per combination of the other parameters: CCD against
pressure and temperature when those columns exist), the hotspot factor against the contact
fraction when the latter varies, and the interface current profiles of the cases. Every
figure is ``FIGSIZE`` inches at ``DPI`` (640 x 400 pixels).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from lisse.solver.errors import UserError  # noqa: E402
from lisse.solver.io.report_figures import (  # noqa: E402
    fmt,
    histories_figure,
    hotspot_figure,
    metric_figures,
    metric_names,
    number,
    profile_figure,
    profiles_figure,
    read_csv,
    rounded,
    timeseries_figure,
)
from lisse.solver.io.report_page import html_page, markdown  # noqa: E402
from lisse.solver.io.runfolder import read_json  # noqa: E402
from lisse.solver.io.sweep_table import read_manifest  # noqa: E402
from lisse.units import split_key  # noqa: E402

HEADLINE = (  # summary keys shown first, when present
    "current_density_mA_cm2", "cell_voltage_V", "asr_total_ohm_cm2", "asr_constriction_ohm_cm2",
    "hotspot_factor", "contact_fraction", "final_contact_fraction", "failure_mode",
    "stack_pressure_MPa", "mean_contact_pressure_MPa", "max_von_mises_li_MPa",
    "contact_fraction_mechanical",
)
MAX_ROWS = 60  # rows of the sweep table shown in the summary


def command(args, comm) -> None:
    """Write the report of ``args.results`` (any results folder, or a sweep file) to
    ``args.output`` (default RESULTS/report)."""
    if comm.rank != 0:
        return
    results = Path(args.results)
    if results.is_file():  # a sweep file: its results folder
        from lisse.solver.studies.sweep_file import load_sweep

        results = load_sweep(results).output
    if not results.exists():  # before the default RESULTS/report would create it
        raise UserError(f"{results}: not a results folder of lisse (no such folder)")
    out = Path(args.output) if args.output else results / "report"
    try:
        page = write_report(results, out, getattr(args, "overwrite", False),
                            "-o" if args.output else "report folder")
    except (KeyError, IndexError, TypeError, ValueError, csv.Error) as exc:
        # a results file truncated, edited or written by another version (summary.json,
        # interface.csv, timeseries.csv); JSON files are checked where they are read
        cause = f"no {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0][:80]
        raise UserError(f"{results}: corrupt or incomplete results ({cause}); run it "
                        "again") from None
    print(f"report: {page}", flush=True)


def write_report(results: Path, out: Path, overwrite: bool = False, label: str = "-o") -> Path:
    """``report`` staged beside ``out`` and swapped in, with the marker ``report.json``: an
    existing ``out`` is replaced only if lisse wrote it (or with ``overwrite`` a foreign
    folder; solver.io.runfolder.target_problem); never the results folder or a parent."""
    from mpi4py import MPI

    from lisse.solver.io.runfolder import RunFolder, claim, lisse_version

    target = out.resolve()
    if target == results.resolve() or target in results.resolve().parents:
        raise UserError(f"{label} {out}: is the results folder or contains it; choose "
                        "another folder")
    claim(out, MPI.COMM_SELF, overwrite, label, "report.json")
    folder = RunFolder(out, MPI.COMM_SELF, "report.json")
    try:
        report(results, folder.stage)
        (folder.stage / "report.json").write_text(json.dumps(
            {"lisse": lisse_version(), "results": str(results.resolve())}, indent=2) + "\n")
    except BaseException:
        folder.discard()
        raise
    return folder.commit() / "report.html"


def report(results: Path, out: Path) -> Path:
    """Write ``report.md``, ``report.html`` and the PNGs into ``out``; returns the HTML."""
    kind = folder_kind(results)
    out.mkdir(parents=True, exist_ok=True)
    builder = {"sweep": _sweep, "ccd": _ccd, "study": _study}.get(kind, _run)
    title, blocks = builder(results, out)
    headline = _headline(results, kind)
    (out / "report.md").write_text(markdown(title, headline, blocks, out))
    (out / "report.html").write_text(html_page(title, kind, headline, blocks, results))
    return out / "report.html"


def folder_kind(results: Path) -> str:
    """The kind of a results folder: sweep, ccd, study, eis, evolution, mechanics or
    steady."""
    if (results / "sweep.json").exists():
        return "sweep"
    if (results / "ccd.json").exists():
        return "ccd"
    if (results / "patch_study.json").exists():
        return "study"
    if (results / "summary.json").exists():
        if (results / "impedance.csv").exists():
            return "eis"
        if (results / "timeseries.csv").exists():
            return "evolution"
        if "stack_pressure_MPa" in read_json(results / "summary.json", "run summary"):
            return "mechanics"
        return "steady"
    raise UserError(
        f"{results}: not a results folder of lisse (summary.json, ccd.json, "
        "patch_study.json or sweep.json)"
    )


def _headline(results: Path, kind: str) -> list[tuple[str, str, str]]:
    """(quantity, value, unit) of the headline numbers of a folder."""
    if kind in ("steady", "evolution", "mechanics"):
        summary = read_json(results / "summary.json", "run summary")
        keys = [k for k in HEADLINE if k in summary and not isinstance(summary[k], dict)]
        return [_quantity(k, summary[k]) for k in keys]
    if kind == "eis":
        s = read_json(results / "summary.json", "run summary")
        return [(f"{part} at {fmt(s[f'{end}_frequency_Hz'])} Hz",
                 fmt(rounded(s[f"z_{level}_frequency_ohm_cm2"][k])), "Ω cm²")
                for end, level in (("min", "low"), ("max", "high"))
                for k, part in enumerate(("Z′", "Z″"))]
    if kind == "ccd":
        rows = read_json(results / "ccd.json", "CCD results")["results"]
        if _plating(rows):
            return [_quantity("plating_ccd_mA_cm2", rows[0]["ccd_mA_cm2"]),
                    _quantity("governing_flaw_depth_um", rows[0]["governing_flaw"]["depth_um"])]
        return [("ccd_mA_cm2" if r["parameter"] is None  # the unit from the key, not the row
                 else f"ccd_mA_cm2 at {r['parameter']} = {fmt(r['value'])}",
                 fmt(rounded(r["ccd_mA_cm2"])), unit("ccd_mA_cm2")) for r in rows]
    if kind == "study":
        rows = read_json(results / "patch_study.json", "study results")["results"]
        return [("cases", str(len(rows)), ""),
                ("cases where the patch opens", str(sum(bool(r["opens"]) for r in rows)), "")]
    manifest = read_manifest(results)
    return [("cases", str(len(manifest["cases"])), ""),
            ("varied parameters", ", ".join(manifest["parameters"]), "")]


def _quantity(name: str, value) -> tuple[str, str, str]:
    """A headline row: the name (with its unit suffix), the value, the unit."""
    return name, fmt(rounded(value)), unit(name)


def unit(name: str) -> str:
    """The unit of a column from its name as on the plots (``µm``, ``Ω cm²``, ``°C``); ""
    for a dimensionless one (the ASCII ``lisse.units.column_unit`` is for sweep.h5)."""
    people = split_key(name)[1]
    return "" if people == "–" else people




# --- a run ----------------------------------------------------------------------------------


def _run(results: Path, out: Path) -> tuple[str, list]:
    kind = folder_kind(results)
    summary = read_json(results / "summary.json", "run summary")
    rows = [(k, fmt(rounded(v)), unit(k)) for k, v in summary.items()]
    blocks: list = [("h", "Summary"), ("table", ["quantity", "value", "unit"], rows)]
    profile = read_csv(results / "interface.csv")
    if profile and len(profile[0]) == 4 and "mean_contact_current_density_A_m2" in summary:
        mean = summary["mean_contact_current_density_A_m2"]  # a 2D interface: x, y, j, contact
        blocks += [
            ("h", "Interface current density"),
            ("img", profile_figure(profile, mean, out)),
        ]
    if kind == "evolution" and not (results / "timeseries.png").exists():
        history = timeseries_figure(results / "timeseries.csv", out)
        if history:
            blocks += [("h", "Cell voltage and contact fraction against time"),
                       ("img", history)]
    pictures = sorted(p for p in results.glob("*.png"))
    if pictures:
        blocks.append(("h", "Pictures of the run"))
        blocks += [("img", p) for p in pictures]
    name = "EIS" if kind == "eis" else kind.capitalize()
    return f"{name} run {results.name}", blocks


# --- a CCD study and a patch study ----------------------------------------------------------


def _plating(rows: list[dict]) -> bool:
    """A plating CCD (``lisse ccd --plating``, solver.studies.plating_ccd) rather than a
    stripping CCD search."""
    return bool(rows) and rows[0].get("mode") == "plating"


def _ccd(results: Path, out: Path) -> tuple[str, list]:
    """The critical current density per value (``ccd.json``) and the run's CCD curve; for a
    plating CCD its quantities and the Li pressure in the governing flaw over time."""
    rows = read_json(results / "ccd.json", "CCD results")["results"]
    if _plating(rows):
        flat = {k: v for k, v in rows[0].items() if not isinstance(v, dict)}
        flat |= {f"governing_flaw_{k}": v for k, v in rows[0]["governing_flaw"].items()}
        table = [(k, fmt(rounded(v)), unit(k)) for k, v in flat.items()]
        blocks = [("h", "Plating critical current density (docs/fracture.md)"),
                  ("table", ["quantity", "value", "unit"], table)]
        blocks += [("h", "Li pressure and stress intensity in the governing flaw")]
        blocks += [("img", p) for p in sorted(results.glob("*.png"))]
        return f"Plating CCD {results.name}", blocks
    table = [(fmt(r["parameter"]) or "(the case)", fmt(r["value"]),
              fmt(rounded(r["ccd_mA_cm2"])), fmt([rounded(b) for b in r["bracket_mA_cm2"]]),
              fmt(r["precision"]), fmt(r["failure_mode"]), fmt(r["trials"])) for r in rows]
    blocks: list = [
        ("h", "Critical current density"),
        ("table", ["parameter", "value", "ccd (mA/cm²)", "bracket (mA/cm²)",
                   "relative precision", "failure mode", "trials"], table),
    ]
    pictures = sorted(results.glob("*.png"))
    if pictures:
        blocks.append(("h", "CCD search: trials, and the CCD against the varied parameter"))
        blocks += [("img", p) for p in pictures]
    return f"CCD study {results.name}", blocks


def _study(results: Path, out: Path) -> tuple[str, list]:
    """The patch-study table (``patch_study.json``) and the study's pictures."""
    study = read_json(results / "patch_study.json", "study results")
    rows = study["results"]
    header = list(dict.fromkeys(k for r in rows for k in r))
    blocks: list = [
        ("p", study["criterion"]),
        ("h", "Cases"),
        ("table", header, [tuple(fmt(rounded(r.get(k))) for k in header) for r in rows]),
    ]
    pictures = sorted(results.glob("*.png"))
    if pictures:
        blocks.append(("h", "Pictures of the study"))
        blocks += [("img", p) for p in pictures]
    return f"Patch study {results.name}", blocks


# --- a sweep --------------------------------------------------------------------------------


def _sweep(results: Path, out: Path) -> tuple[str, list]:
    from lisse.solver.io.sweep_table import collect

    manifest = read_manifest(results)
    rows = collect(results)
    params = manifest["parameters"]
    done = [r for r in rows if r["status"] == "done"]
    failed = [r for r in rows if r["status"] == "failed"]
    tally = [(s, str(sum(r["status"] == s for r in rows))) for s in ("done", "failed", "pending")]
    blocks: list = [
        ("p", f"{len(rows)} cases varying {', '.join(params)}."),
        ("table", ["status", "cases"], tally),
    ]
    if failed:
        blocks += [
            ("h", "Failed cases"),
            (
                "table",
                ["index", "case", "reason"],
                [(str(r["index"]), r["case_id"], r["reason"]) for r in failed],
            ),
        ]
    metrics = [m for m in metric_names(done) if any(number(r.get(m)) for r in done)]
    shown = rows[:MAX_ROWS]
    blocks += [
        ("h", "Cases"),
        (
            "table",
            ["index", "case", *params, "status", *metrics],
            [
                (
                    str(r["index"]),
                    r["case_id"],
                    *(fmt(r.get(p)) for p in params),
                    r["status"],
                    *(fmt(r.get(m)) for m in metrics),
                )
                for r in shown
            ],
        ),
    ]
    if len(rows) > len(shown):
        blocks.append(("p", f"First {len(shown)} of {len(rows)} cases: all in sweep.csv."))
    out.mkdir(parents=True, exist_ok=True)
    figures = metric_figures(done, params, metrics, out)
    if "contact_fraction" not in params and len({r.get("contact_fraction") for r in done}) > 1:
        figures.append(hotspot_figure(done, out))
    if figures:
        blocks += [("h", "Metrics against the varied parameters")]
        blocks += [("img", f) for f in figures]
    profiles = profiles_figure(results, done, params, out)
    if profiles:
        blocks += [("h", "Interface current profiles"), ("img", profiles)]
    histories = histories_figure(results, rows, params, out)
    if histories:
        blocks += [("h", "Contact fraction against time (evolution cases)"), ("img", histories)]
    return f"Sweep {manifest['name']}", blocks


# --- helpers --------------------------------------------------------------------------------


