"""The pages of ``lisse report``: the self-contained HTML page (Jinja2 template
``templates/report.html.j2``, figures as ``data:`` URIs) and the Markdown summary, with the
provenance of the results folder."""

from __future__ import annotations

import base64
import csv
import os
from pathlib import Path

from lisse.solver.errors import UserError
from lisse.solver.io.report_figures import number, rounded
from lisse.solver.io.runfolder import read_json


def link(path: Path, out: Path) -> str:
    """``path`` relative to the report folder (the Markdown summary opens where it lies)."""
    return Path(os.path.relpath(path.resolve(), out.resolve())).as_posix()


def data_uri(path: Path) -> str:
    """A PNG as a ``data:`` URI (the HTML page needs no file beside it)."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _record(path: Path) -> dict:
    """A JSON record of the folder, or {} if it is corrupt (the provenance then says
    "unknown"; the results themselves are checked where they are read)."""
    try:
        record = read_json(path)
    except UserError:
        return {}
    return record if isinstance(record, dict) else {}


def provenance(results: Path, kind: str) -> dict:
    """Versions, command line, MPI ranks, wall time and the resolved config of a folder: its
    ``run.json`` and ``config_resolved.yaml`` (a sweep: its first case's ``run.json``, its
    ``sweep.json``, and the wall time summed over the cases)."""
    import shlex

    record, wall = {}, None
    config_path = results / ("sweep.json" if kind == "sweep" else "config_resolved.yaml")
    runs = ([results / "run.json"] if kind != "sweep"
            else sorted((results / "cases").glob("*/run.json")))
    for path in runs[:1]:
        record = _record(path)
    if (results / "summary.json").exists():
        wall = _record(results / "summary.json").get("wall_time_s")
    wall = record.get("wall_time_s", wall)
    if kind == "sweep" and (results / "sweep.csv").exists():
        with open(results / "sweep.csv", newline="") as fh:
            times = [number(r.get("wall_time_s")) for r in csv.DictReader(fh)]
        wall = sum(t for t in times if t is not None)
    command = record.get("command")
    return {
        "command": shlex.join(command) if isinstance(command, list) else command or "unknown",
        # a sweep's run.json is its first case's: the worker's command for that case
        "command_label": f"command of case {runs[0].parent.name}" if kind == "sweep" and runs
        else "command",
        "mpi_ranks": record.get("mpi_ranks", "unknown"),
        "wall_time": "not recorded" if wall is None else (
            f"{rounded(float(wall))} s" + (" (sum over the cases)" if kind == "sweep" else "")),
        "versions": sorted(record.get("versions", {}).items()),
        "config_name": config_path.name,
        "config": config_path.read_text() if config_path.exists() else "(not found)",
    }


def markdown(title: str, headline: list, blocks: list, out: Path) -> str:
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
            lines += [f"![{body[0].stem}]({link(body[0], out)})", ""]
        else:
            header, rows = body
            lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    return "\n".join(lines)


def html_page(title: str, kind: str, headline: list, blocks: list, results: Path) -> str:
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
            shown.append({"kind": "img", "uri": data_uri(body[0]), "alt": body[0].stem})
        else:
            shown.append({"kind": "table", "header": body[0], "rows": body[1]})
    return env.get_template("report.html.j2").render(
        title=title, kind=kind, results=str(results.resolve()), headline=headline,
        blocks=shown, lisse_version=lisse_version(), **provenance(results, kind))
