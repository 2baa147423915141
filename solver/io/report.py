"""``lisse report RESULTS``: plots and a short Markdown + HTML summary of a run folder
(``summary.json``) or a sweep folder (``sweep.json``).

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
import html
import json
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lisse.solver.errors import UserError  # noqa: E402
from lisse.solver.io.runfolder import read_json  # noqa: E402

FIGSIZE = (6.4, 4.0)  # inches
DPI = 100
METRICS = ("hotspot_factor", "asr_total_ohm_cm2", "asr_constriction_ohm_cm2", "cell_voltage_V")
MAX_LINES = 8  # more combinations of the other parameters: points, no lines
MAX_PROFILES = 12
MAX_ROWS = 60  # rows of the sweep table shown in the summary


def command(args, comm) -> None:
    """Write the report of ``args.results`` (a run or sweep folder, or a sweep file) to
    ``args.output`` (default RESULTS/report)."""
    if comm.rank != 0:
        return
    results = Path(args.results)
    if results.is_file():  # a sweep file: its results folder
        from lisse.solver.studies.sweep import load_sweep

        results = load_sweep(results).output
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
    if (results / "sweep.json").exists():
        title, blocks = _sweep(results, out)
    elif (results / "summary.json").exists():
        title, blocks = _run(results, out)
    else:
        raise UserError(
            f"{results}: not a run folder (summary.json) or a sweep folder (sweep.json)"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(_markdown(title, blocks, out))
    (out / "report.html").write_text(_html(title, blocks, out))
    return out / "report.html"


# --- a run ----------------------------------------------------------------------------------


def _run(results: Path, out: Path) -> tuple[str, list]:
    out.mkdir(parents=True, exist_ok=True)
    summary = read_json(results / "summary.json", "run summary")
    rows = [(k, _fmt(v)) for k, v in summary.items()]
    blocks: list = [("h", "Summary"), ("table", ["quantity", "value"], rows)]
    profile = _read_csv(results / "interface.csv")
    if profile and len(profile[0]) == 4:  # a 2D interface: x, y, j, contact
        fig, ax = _figure()
        _profile(ax, profile, "local")
        ax.axhline(
            summary["mean_contact_current_density_A_m2"] * 0.1,
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
    pictures = sorted(p for p in results.glob("*.png"))
    if pictures:
        blocks.append(("h", "Pictures of the run"))
        blocks += [("img", p) for p in pictures]
    return f"Run {results.name}", blocks


# --- a sweep --------------------------------------------------------------------------------


def _sweep(results: Path, out: Path) -> tuple[str, list]:
    from lisse.solver.studies.sweep import collect, read_manifest

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
    x, j, contact = data[:, 0], data[:, 2] * 0.1, data[:, 3] > 0.5
    ax.plot(x, np.where(contact, j, np.nan), lw=1.0, label=label)
    ax.set(
        xlabel="position along the interface (µm)",
        ylabel="current density (mA/cm²)",
        title="Interface current density (gaps: voids)",
    )


# --- helpers --------------------------------------------------------------------------------


def _figure():
    return plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


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
    """``path`` relative to the report folder (the report opens where it lies)."""
    return Path(os.path.relpath(path.resolve(), out.resolve())).as_posix()


def _markdown(title: str, blocks: list, out: Path) -> str:
    lines = [f"# {title}", ""]
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


def _html(title: str, blocks: list, out: Path) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        "</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    for kind, *body in blocks:
        if kind == "h":
            parts.append(f"<h2>{e(body[0])}</h2>")
        elif kind == "p":
            parts.append(f"<p>{e(body[0])}</p>")
        elif kind == "img":
            parts.append(f"<p><img src='{e(_link(body[0], out))}' alt='{e(body[0].stem)}'></p>")
        else:
            header, rows = body
            cells = ["<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"]
            cells += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
            parts.append("<table>" + "".join(cells) + "</table>")
    return "\n".join([*parts, "</body></html>", ""])
