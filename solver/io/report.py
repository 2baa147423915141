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
names, ``lisse.units.column_unit``), the figures, the provenance (versions, command line,
MPI ranks and wall time from ``run.json``/``summary.json``) and the resolved config
(``config_resolved.yaml``; for a sweep ``sweep.json``) in a collapsible block.

A run report re-draws the interface current profile from ``interface.csv`` and shows the
run's own pictures (current field, and any other PNG such as stress maps). A sweep report
rebuilds the sweep table from the case folders, then plots every headline metric against
every varied parameter (one line per combination of the other parameters: CCD against
pressure and temperature when those columns exist), the hotspot factor against the contact
fraction when the latter varies, and the interface current profiles of the cases. Every
figure is ``FIGSIZE`` inches at ``DPI`` (640 x 400 pixels).
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lisse import plotstyle  # noqa: E402
from lisse.solver.errors import UserError  # noqa: E402
from lisse.units import A_M2_PER_MA_CM2, SECONDS_PER_HOUR, column_unit  # noqa: E402

FIGSIZE = (6.4, 4.0)  # inches
DPI = 100
METRICS = ("hotspot_factor", "asr_total_ohm_cm2", "asr_constriction_ohm_cm2", "cell_voltage_V")
HEADLINE = (  # summary keys shown first, when present
    "current_density_mA_cm2", "cell_voltage_V", "asr_total_ohm_cm2", "asr_constriction_ohm_cm2",
    "hotspot_factor", "contact_fraction", "final_contact_fraction", "failure_mode",
    "stack_pressure_MPa", "mean_contact_pressure_MPa", "max_von_mises_li_MPa",
    "contact_fraction_mechanical",
)
DIGITS = 4  # significant digits of the numbers shown
MAX_LINES = 8  # more combinations of the other parameters: points, no lines
MAX_PROFILES = 12
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
    out = Path(args.output) if args.output else results / "report"
    page = write_report(results, out, getattr(args, "overwrite", False),
                        "-o" if args.output else "report folder")
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
    folder = RunFolder(out, MPI.COMM_SELF)
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
    (out / "report.md").write_text(_markdown(title, headline, blocks, out))
    (out / "report.html").write_text(_html(title, kind, headline, blocks, results))
    return out / "report.html"


def folder_kind(results: Path) -> str:
    """The kind of a results folder: sweep, ccd, study, evolution, mechanics or steady."""
    if (results / "sweep.json").exists():
        return "sweep"
    if (results / "ccd.json").exists():
        return "ccd"
    if (results / "patch_study.json").exists():
        return "study"
    if (results / "summary.json").exists():
        if (results / "timeseries.csv").exists():
            return "evolution"
        if "stack_pressure_MPa" in json.loads((results / "summary.json").read_text()):
            return "mechanics"
        return "steady"
    raise UserError(
        f"{results}: not a results folder of lisse (summary.json, ccd.json, "
        "patch_study.json or sweep.json)"
    )


def _headline(results: Path, kind: str) -> list[tuple[str, str, str]]:
    """(quantity, value, unit) of the headline numbers of a folder."""
    if kind in ("steady", "evolution", "mechanics"):
        summary = json.loads((results / "summary.json").read_text())
        keys = [k for k in HEADLINE if k in summary and not isinstance(summary[k], dict)]
        return [_quantity(k, summary[k]) for k in keys]
    if kind == "ccd":
        rows = json.loads((results / "ccd.json").read_text())["results"]
        return [_quantity("ccd_mA_cm2" if r["parameter"] is None
                          else f"ccd_mA_cm2 at {r['parameter']} = {_fmt(r['value'])}",
                          r["ccd_mA_cm2"]) for r in rows]
    if kind == "study":
        rows = json.loads((results / "patch_study.json").read_text())["results"]
        return [("cases", str(len(rows)), ""),
                ("cases where the patch opens", str(sum(bool(r["opens"]) for r in rows)), "")]
    manifest = json.loads((results / "sweep.json").read_text())
    return [("cases", str(len(manifest["cases"])), ""),
            ("varied parameters", ", ".join(manifest["parameters"]), "")]


def _quantity(name: str, value) -> tuple[str, str, str]:
    """A headline row: the name (with its unit suffix), the value, the unit."""
    unit = column_unit(name)
    return name, _fmt(_round(value)), unit


def _round(value):
    """``value`` rounded to ``DIGITS`` significant digits (numbers only)."""
    if isinstance(value, float) and np.isfinite(value) and value != 0:
        return float(f"{value:.{DIGITS}g}")
    return value


# --- a run ----------------------------------------------------------------------------------


def _run(results: Path, out: Path) -> tuple[str, list]:
    kind = folder_kind(results)
    summary = json.loads((results / "summary.json").read_text())
    rows = [(k, _fmt(_round(v)), column_unit(k)) for k, v in summary.items()]
    blocks: list = [("h", "Summary"), ("table", ["quantity", "value", "unit"], rows)]
    profile = _read_csv(results / "interface.csv")
    if profile and len(profile[0]) == 4 and "mean_contact_current_density_A_m2" in summary:
        fig, ax = _figure()  # a 2D interface: x, y, j, contact
        _profile(ax, profile, "local")
        ax.axhline(
            summary["mean_contact_current_density_A_m2"] / A_M2_PER_MA_CM2,
            color="k",
            ls="--",
            lw=0.8,
            label="mean over contact",
        )
        ax.legend(fontsize=8)
        blocks += [
            ("h", "Interface current density"),
            ("img", _save(fig, out / "interface_profile.png")),
        ]
    if kind == "evolution" and not (results / "timeseries.png").exists():
        history = _timeseries(results / "timeseries.csv", out)
        if history:
            blocks += [("h", "Cell voltage and contact fraction against time"),
                       ("img", history)]
    pictures = sorted(p for p in results.glob("*.png"))
    if pictures:
        blocks.append(("h", "Pictures of the run"))
        blocks += [("img", p) for p in pictures]
    return f"{kind.capitalize()} run {results.name}", blocks


def _timeseries(path: Path, out: Path) -> Path | None:
    """Cell voltage [V] and contact fraction against time [h] of an evolution run."""
    with open(path, newline="") as fh:
        table = list(csv.DictReader(fh))
    if not table:
        return None
    t = [float(row["time_s"]) / SECONDS_PER_HOUR for row in table]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=FIGSIZE, dpi=DPI, layout="constrained",
                                      sharex=True)
    top.plot(t, [float(row["cell_voltage_V"]) for row in table], lw=1.2)
    top.set(ylabel="cell voltage (V)", title="Evolution run")
    bottom.plot(t, [float(row["contact_fraction"]) for row in table], lw=1.2)
    bottom.set(xlabel="time (h)", ylabel="contact fraction")
    return _save(fig, out / "timeseries.png")


# --- a CCD study and a patch study ----------------------------------------------------------


def _ccd(results: Path, out: Path) -> tuple[str, list]:
    """The critical current density per value (``ccd.json``) and the run's CCD curve."""
    rows = json.loads((results / "ccd.json").read_text())["results"]
    table = [(_fmt(r["parameter"]) or "(the case)", _fmt(r["value"]),
              _fmt(_round(r["ccd_mA_cm2"])), _fmt([_round(b) for b in r["bracket_mA_cm2"]]),
              _fmt(r["precision"]), _fmt(r["failure_mode"]), _fmt(r["trials"])) for r in rows]
    blocks: list = [
        ("h", "Critical current density"),
        ("table", ["parameter", "value", "ccd (mA/cm²)", "bracket (mA/cm²)",
                   "relative precision", "failure mode", "trials"], table),
    ]
    pictures = sorted(results.glob("*.png"))
    if pictures:
        blocks.append(("h", "CCD against the varied parameter"))
        blocks += [("img", p) for p in pictures]
    return f"CCD study {results.name}", blocks


def _study(results: Path, out: Path) -> tuple[str, list]:
    """The patch-study table (``patch_study.json``) and the study's pictures."""
    study = json.loads((results / "patch_study.json").read_text())
    rows = study["results"]
    header = list(dict.fromkeys(k for r in rows for k in r))
    blocks: list = [
        ("p", study["criterion"]),
        ("h", "Cases"),
        ("table", header, [tuple(_fmt(_round(r.get(k))) for k in header) for r in rows]),
    ]
    pictures = sorted(results.glob("*.png"))
    if pictures:
        blocks.append(("h", "Pictures of the study"))
        blocks += [("img", p) for p in pictures]
    return f"Patch study {results.name}", blocks


# --- a sweep --------------------------------------------------------------------------------


def _sweep(results: Path, out: Path) -> tuple[str, list]:
    from lisse.solver.io.sweep_table import collect

    manifest = json.loads((results / "sweep.json").read_text())
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
    metrics = [m for m in _metrics(done) if any(_number(r.get(m)) for r in done)]
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
                    *(_fmt(r.get(p)) for p in params),
                    r["status"],
                    *(_fmt(r.get(m)) for m in metrics),
                )
                for r in shown
            ],
        ),
    ]
    if len(rows) > len(shown):
        blocks.append(("p", f"First {len(shown)} of {len(rows)} cases: all in sweep.csv."))
    out.mkdir(parents=True, exist_ok=True)
    figures = []
    numeric = [p for p in params if len({_number(r[p]) for r in done} - {None}) > 1]
    for metric in metrics:
        for param in numeric:
            fig, ax = _figure()
            _versus(ax, done, param, metric, [p for p in params if p != param])
            figures.append(_save(fig, out / f"{_slug(metric)}-vs-{_slug(param)}.png"))
    if "contact_fraction" not in params and len({r.get("contact_fraction") for r in done}) > 1:
        fig, ax = _figure()
        ax.plot(
            [r["contact_fraction"] for r in done], [r["hotspot_factor"] for r in done], "o", ms=4
        )
        ax.set(
            xlabel="contact fraction",
            ylabel="hotspot factor",
            title="Hotspot factor against contact fraction",
        )
        figures.append(_save(fig, out / "hotspot_factor-vs-contact_fraction.png"))
    if figures:
        blocks += [("h", "Metrics against the varied parameters")]
        blocks += [("img", f) for f in figures]
    profiles = _profiles(results, done, params, out)
    if profiles:
        blocks += [("h", "Interface current profiles"), ("img", profiles)]
    histories = _histories(results, rows, params, out)
    if histories:
        blocks += [("h", "Contact fraction against time (evolution cases)"), ("img", histories)]
    return f"Sweep {manifest['name']}", blocks


def _metrics(rows: list[dict]) -> list[str]:
    """The headline metrics present, and any critical current density column (``ccd_*``)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [m for m in METRICS if m in keys] + [k for k in keys if k.startswith("ccd")]


def _versus(ax, rows: list[dict], param: str, metric: str, others: list[str]) -> None:
    """``metric`` against ``param``: a line per combination of the other parameters."""
    groups = sorted({tuple(_fmt(r.get(o)) for o in others) for r in rows})
    lines = len(groups) <= MAX_LINES
    for group in groups:
        members = [r for r in rows if tuple(_fmt(r.get(o)) for o in others) == group]
        pts = sorted((_number(r[param]), _number(r.get(metric))) for r in members)
        pts = [p for p in pts if None not in p]
        label = ", ".join(f"{_short(o)}={g}" for o, g in zip(others, group, strict=True))
        ax.plot(
            *zip(*pts, strict=True),
            "o-" if lines else "o",
            ms=4,
            lw=1.2,
            label=label if lines and label else None,
        )
    ax.set(xlabel=_short(param), ylabel=metric, title=f"{metric} against {_short(param)}")
    if lines and others:
        ax.legend(fontsize=7)


def _profiles(results: Path, rows: list[dict], params: list[str], out: Path) -> Path | None:
    """Local interface current density of up to ``MAX_PROFILES`` cases (2D cases only)."""
    fig, ax = _figure()
    drawn = 0
    for r in rows[:MAX_PROFILES]:
        table = _read_csv(results / "cases" / r["case_id"] / "interface.csv")
        if table and len(table[0]) == 4:
            label = ", ".join(f"{_short(p)}={_fmt(r.get(p))}" for p in params)
            _profile(ax, table, label)
            drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.legend(fontsize=6, ncol=2)
    return _save(fig, out / "interface_profiles.png")


def _histories(results: Path, rows: list[dict], params: list[str], out: Path) -> Path | None:
    """Contact fraction against time of up to ``MAX_PROFILES`` cases with a protocol
    (their ``timeseries.csv``; failed runs that wrote one included)."""
    fig, ax = _figure()
    drawn = 0
    for r in rows[:MAX_PROFILES]:
        path = results / "cases" / r["case_id"] / "timeseries.csv"
        if not path.exists():
            continue
        with open(path, newline="") as fh:
            table = list(csv.DictReader(fh))
        if not table:
            continue
        t = [float(row["time_s"]) / 3600 for row in table]
        f = [float(row["contact_fraction"]) for row in table]
        label = ", ".join(f"{_short(p)}={_fmt(r.get(p))}" for p in params)
        ax.plot(t, f, lw=1.0, label=label)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.set(
        xlabel="time (h)", ylabel="contact fraction", title="Interface contact during the protocol"
    )
    ax.legend(fontsize=6, ncol=2)
    return _save(fig, out / "contact_fraction-vs-time.png")


def _profile(ax, table: list[list[float]], label: str) -> None:
    data = np.array(table)
    x, j, contact = data[:, 0], data[:, 2] / A_M2_PER_MA_CM2, data[:, 3] > 0.5
    ax.plot(x, np.where(contact, j, np.nan), lw=1.0, label=label)
    ax.set(
        xlabel="position along the interface (µm)",
        ylabel="current density (mA/cm²)",
        title="Interface current density (gaps: voids)",
    )


# --- helpers --------------------------------------------------------------------------------


def _figure():
    return plotstyle.subplots(figsize=FIGSIZE)


def _save(fig, path: Path) -> Path:
    return plotstyle.save(fig, path, ("png",), dpi=DPI)[0]


def _read_csv(path: Path) -> list[list[float]] | None:
    if not path.exists():
        return None
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return [[float(v) for v in row] for row in rows]


def _number(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return "" if value is None else str(value)


def _short(path: str) -> str:
    return path.rsplit(".", 1)[-1] if not path.rsplit(".", 1)[-1].isdigit() else path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def _link(path: Path, out: Path) -> str:
    """``path`` relative to the report folder (the Markdown summary opens where it lies)."""
    return Path(os.path.relpath(path.resolve(), out.resolve())).as_posix()


def _data_uri(path: Path) -> str:
    """A PNG as a ``data:`` URI (the HTML page needs no file beside it)."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _provenance(results: Path, kind: str) -> dict:
    """Versions, command line, MPI ranks, wall time and the resolved config of a folder: its
    ``run.json`` and ``config_resolved.yaml`` (a sweep: its first case's ``run.json``, its
    ``sweep.json``, and the wall time summed over the cases)."""
    import shlex

    record, wall = {}, None
    config_path = results / ("sweep.json" if kind == "sweep" else "config_resolved.yaml")
    runs = ([results / "run.json"] if kind != "sweep"
            else sorted((results / "cases").glob("*/run.json")))
    for path in runs[:1]:
        record = json.loads(path.read_text())
    if (results / "summary.json").exists():
        wall = json.loads((results / "summary.json").read_text()).get("wall_time_s")
    wall = record.get("wall_time_s", wall)
    if kind == "sweep" and (results / "sweep.csv").exists():
        with open(results / "sweep.csv", newline="") as fh:
            times = [_number(r.get("wall_time_s")) for r in csv.DictReader(fh)]
        wall = sum(t for t in times if t is not None)
    command = record.get("command")
    return {
        "command": shlex.join(command) if isinstance(command, list) else command or "unknown",
        "mpi_ranks": record.get("mpi_ranks", "unknown"),
        "wall_time": "not recorded" if wall is None else (
            f"{_round(float(wall))} s" + (" (sum over the cases)" if kind == "sweep" else "")),
        "versions": sorted(record.get("versions", {}).items()),
        "config_name": config_path.name,
        "config": config_path.read_text() if config_path.exists() else "(not found)",
    }


def _markdown(title: str, headline: list, blocks: list, out: Path) -> str:
    lines = [f"# {title}", ""]
    if headline:
        lines += ["| quantity | value | unit |", "| --- | --- | --- |"]
        lines += [f"| {n} | {v} | {u} |" for n, v, u in headline] + [""]
    for kind, *body in blocks:
        if kind == "h":
            lines += [f"## {body[0]}", ""]
        elif kind == "p":
            lines += [body[0], ""]
        elif kind == "img":
            lines += [f"![{body[0].stem}]({_link(body[0], out)})", ""]
        else:
            header, rows = body
            lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    return "\n".join(lines)


def _html(title: str, kind: str, headline: list, blocks: list, results: Path) -> str:
    """The page, from ``templates/report.html.j2`` (autoescaped), figures embedded."""
    import jinja2

    from lisse.solver.io.runfolder import lisse_version

    env = jinja2.Environment(loader=jinja2.PackageLoader("lisse.solver.io", "templates"),
                             autoescape=True, keep_trailing_newline=True)
    shown = []
    for block, *body in blocks:
        if block in ("h", "p"):
            shown.append({"kind": block, "text": body[0]})
        elif block == "img":
            shown.append({"kind": "img", "uri": _data_uri(body[0]), "alt": body[0].stem})
        else:
            shown.append({"kind": "table", "header": body[0], "rows": body[1]})
    return env.get_template("report.html.j2").render(
        title=title, kind=kind, results=str(results.resolve()), headline=headline,
        blocks=shown, lisse_version=lisse_version(), **_provenance(results, kind))
