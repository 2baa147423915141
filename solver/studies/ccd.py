"""``lisse ccd``: the stripping critical current density of a case, or of each value of one
varied config path, by bracketing and bisection on whole evolution runs
(``lisse.solver.studies.ccd_search``), each trial from the same model and starting interface
(``Model.reset``: with the coupled interface model also the Li body as built, so trials are
independent and repeatable).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import time

import numpy as np
import yaml

from lisse.meshes.cache import geometry_key
from lisse.solver.config.params import Resolved
from lisse.solver.errors import UserError
from lisse.solver.io import evolution_plots
from lisse.solver.io.checkpoint import Interrupted, StopRequests
from lisse.solver.io.measurements import read_measurements
from lisse.solver.io.progress import Progress
from lisse.solver.io.runfolder import RunFolder, run_record
from lisse.solver.physics.evolution_settings import ProtocolStep
from lisse.solver.studies.ccd_checkpoint import CaseLog, TrialLog
from lisse.solver.studies.ccd_protocol import protocol_search
from lisse.solver.studies.ccd_search import CcdResult, Trial, find_ccd
from lisse.solver.studies.evolution import _engine, _settings, _with_closure_rate
from lisse.solver.studies.model import build_model, check_supported
from lisse.units import A_M2_PER_MA_CM2


def ccd_search(params: Resolved, comm, progress: Progress | None = None,
               log: CaseLog | None = None) -> CcdResult:
    """The stripping CCD of a case under ``evolution.ccd`` (whole simulations, each trial
    from the same model and starting interface). ``log``: the case's trial log
    (``ccd_checkpoint``): logged trials are replayed, new ones logged, a stop request ends
    the trial in flight and the search (``Interrupted``)."""
    model = build_model(params, comm, "ccd")
    settings = _with_closure_rate(model, _settings(params),
                                 progress.log if progress is not None else None)
    spec = settings.ccd

    def trial(j: float) -> Trial:
        steps = (ProtocolStep(j, spec.capacity / j, "strip"),)
        if progress is not None:
            progress.status(trial=f"{j / A_M2_PER_MA_CM2:.4g} mA/cm²")
        evo = _engine(model, dataclasses.replace(settings, steps=steps))
        outcome = evo.run(pause=None if log is None else log.pause)
        if outcome.paused:
            raise log.interrupted(j)
        if progress is not None:
            progress.log(f"  {j / 10:.4g} mA/cm²: "
                         f"{outcome.failure_mode if outcome.failed else 'survived'}")
        return Trial(j, not outcome.failed, outcome.failure_mode,
                     outcome.failure_time if outcome.failed else math.nan,
                     outcome.failure_criterion, outcome.interface_failure,
                     len(outcome.records))

    return find_ccd(trial if log is None else log.replay(trial), spec.start, spec.maximum,
                    spec.rtol)


def run_ccd_study(case_path: str, overrides: list[str], vary: str | None, outdir, comm,
                  argv: list[str] | None = None, measurements=None,
                  resume=None) -> list[dict]:
    """The CCD of a case, or of each value of one varied config path ("path=v1,v2,...");
    writes ccd.csv, ccd.json, ccd_trials.csv, ccd_trials.png and (with ``vary``) ccd.png
    into ``outdir``. ``measurements``: a CSV file of measured CCDs drawn in ccd.png
    (``lisse.solver.io.measurements``). The trial log in the staging folder
    (``ccd_checkpoint``) keeps the finished trials; SIGTERM or SIGINT stops the search with
    ``Interrupted`` (exit code 3) and ``resume`` (the stopped search's folder) goes on from
    its log to the uninterrupted search's results."""
    from lisse.solver.config.schema import load_case, resolve, resolved_dict

    path, values = None, [None]
    if vary:
        path, _, text = vary.partition("=")
        values = [v.strip() for v in text.split(",") if v.strip()]
        if not path or not values:
            raise UserError(f"--vary '{vary}': expected path=v1,v2,... e.g. "
                            f"evolution.stack_pressure_MPa=0.5,1,3,7")
    measured = None
    if measurements is not None:
        if not path:
            raise UserError("--measurements: needs --vary (measured CCDs are drawn against "
                            "the varied parameter)")
        measured = read_measurements(measurements, path)
    cases = []
    for value in values:  # validate every case before running any
        extra = [f"{path}={value}"] if path else []
        case = load_case(case_path, [*overrides, *extra])
        params = resolve(case)
        _settings(params)
        check_supported(params, "ccd")
        cases.append((value, params, resolved_dict(case)))
    stops = StopRequests()
    log = TrialLog(comm, [c[2] for c in cases], [geometry_key(c[1].geometry) for c in cases],
                   stops)
    if resume is not None:
        log.load(resume)
    folder = RunFolder(outdir, comm)
    rows, trials = [], []
    start = time.perf_counter()
    try:
        log.attach(folder)
        progress = Progress("ccd", total=len(cases), comm=comm)
        with stops:  # SIGTERM/SIGINT: the trial in flight stops, the search raises
            for k, (value, params, _) in enumerate(cases):
                progress.log(f"CCD search{'' if path is None else f' at {path} = {value}'}")
                if params.evolution.ccd.method == "staircase":  # one run: no trial log
                    result = protocol_search(params, comm, progress)
                else:
                    result = ccd_search(params, comm, progress, log.case(k))
                rows.append({"parameter": path, "value": value, "ccd_mA_cm2": result.ccd / 10,
                             "bracket_mA_cm2": [b / 10 for b in result.bracket],
                             "precision": params.evolution.ccd.rtol,
                             "failure_mode": result.failure_mode,
                             "failure_criterion": result.failure_criterion,
                             "interface_failure": result.interface_failure,
                             "trials": len(result.trials)})
                progress.advance()
                trials.append(result.trials)
        progress.close()
        folder.write_text("config_resolved.yaml", yaml.safe_dump(cases[0][2], sort_keys=False))
        folder.write_json("run.json", run_record(cases[0][1], argv, comm)
                          | {"wall_time_s": time.perf_counter() - start})
        folder.write_json("ccd.json", {"results": rows})
        log.finish([str(v) if path else "case" for v, _, _ in cases], path)
        table = np.array([[float(r["value"]) if path else 0.0, r["ccd_mA_cm2"],
                           *r["bracket_mA_cm2"]] for r in rows])
        folder.write_text("ccd.csv", _csv(path, table, rows))
        if comm.rank == 0 and cases[0][1].output.plots:
            evolution_plots.ccd_trials(folder.path("ccd_trials.png"), trials,
                                       [str(v) for v in values] if path else ["case"], path,
                                       formats=cases[0][1].output.figure_formats)
        if path and comm.rank == 0 and cases[0][1].output.plots:
            evolution_plots.ccd_curve(folder.path("ccd.png"), list(table[:, 0]),
                                      list(table[:, 1]), [tuple(t) for t in table[:, 2:]],
                                      path, [r["failure_mode"] for r in rows], measured,
                                      formats=cases[0][1].output.figure_formats)
    except Interrupted:  # the staging folder keeps the trial log
        raise
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return rows


def _csv(path: str | None, table: np.ndarray, rows: list[dict]) -> str:
    """ccd.csv: the varied value, the CCD and its bracket [mA/cm²], the failure criterion
    of the failing end of the bracket (``solver.physics.failure.CRITERIA``) and whether it
    was an interface failure (false: a voltage cut-off of an intact interface)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([path or "case", "ccd_mA_cm2", "bracket_low_mA_cm2", "bracket_high_mA_cm2",
                     "failure_criterion", "interface_failure"])
    for values, r in zip(table.tolist(), rows, strict=True):
        writer.writerow([*values, r["failure_criterion"], str(r["interface_failure"]).lower()])
    return out.getvalue()
