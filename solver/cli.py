"""The ``lisse`` command line: validate, mesh and run cases.

Errors in the input print one line ``lisse: error: <cause>`` on rank 0 and exit with code 2;
a failed solve exits with code 1. Only rank 0 prints.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

from lisse.solver.errors import LisseError, UserError


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error of every other input problem (exit code 2)."""

    def error(self, message: str):
        self.exit(2, f"lisse: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lisse", description=(
        "Finite-element simulator of the Li-metal / solid-electrolyte interface."))
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)

    def case_command(name: str, help_: str, what: str = "case") -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("case", help=f"{what} file (YAML)")
        p.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="PATH=VALUE", help="override a config value, e.g. "
                       "protocol.current_density_mA_cm2=1.0 (repeatable)")
        return p

    validate = case_command("validate", "check a case, sweep or study file and print what it "
                            "describes", "case, sweep or study")
    validate.add_argument("--kind", choices=("case", "sweep", "study"),
                          help="the file kind (default: decided from the content)")
    schema = sub.add_parser("schema", help="print the JSON Schema of a case, sweep or study "
                            "file (for editors)")
    schema.add_argument("--kind", choices=("case", "sweep", "study"), default="case",
                        help="the file kind whose schema to print (default: case)")
    mesh = case_command("mesh", "build the mesh of a case and write it with a picture")
    _output_options(mesh, "output folder (default: the case's output.directory)")
    run = case_command("run", "solve a case and write its results folder")
    _output_options(run, "output folder (default: the case's output.directory)")
    run.add_argument("--resume", metavar="DIR", help="go on from the checkpoint of an "
                     "evolution run stopped by SIGTERM or SIGINT (DIR: its output folder); "
                     "the case must be the same (docs/reliability.md)")
    eis = case_command("eis", "impedance spectrum of a case about its steady state (its "
                       "impedance section)")
    _output_options(eis, "output folder (default: the case's output.directory)")
    ccd = case_command("ccd", "find the stripping critical current density (bisection on "
                       "whole simulations), optionally against one varied parameter")
    _output_options(ccd, "output folder (default: results/ccd)")
    ccd.add_argument("--vary", metavar="PATH=V1,V2,...", help="a config path and its values, "
                     "e.g. evolution.stack_pressure_MPa=0.5,1,3,7 or temperature_C=0,25,60")
    ccd.add_argument("--measurements", metavar="FILE.csv", help="measured CCDs to draw in "
                     "ccd.png (with --vary): columns the varied parameter, ccd_mA_cm2, source "
                     "and any conditions, e.g. temperature_C (docs/outputs.md)")
    ccd.add_argument("--resume", metavar="DIR", help="go on from the trial log of a search "
                     "stopped by SIGTERM or SIGINT (DIR: its output folder); the case and "
                     "--vary must be the same (docs/reliability.md)")
    ccd.add_argument("--plating", action="store_true", help="the plating CCD of the case's "
                     "plating: section (Li-filled flaw reaching K_IC; docs/fracture.md)")
    _sweep_parsers(sub)
    study = sub.add_parser("study", help="run a study file (the debonded-patch study, "
                           "docs/patch_study.md) and write its tables and plots")
    study.add_argument("study", help="study file (YAML)")
    _output_options(study, "output folder (default: the study's output.directory)")
    study.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="PATH=VALUE", help="override a study value, e.g. "
                       "sweep.abar=[1,10] (repeatable)")
    study.add_argument("--resume", metavar="DIR", help="go on from the points finished by a "
                       "study stopped by SIGTERM or SIGINT (DIR: its output folder); the "
                       "study must be the same (docs/reliability.md)")
    return parser


def _version_line() -> str:
    """``lisse X (DOLFINx Y, PETSc Z, Gmsh W)``: the versions a run records (run.json)."""
    from lisse.solver.io.runfolder import versions

    v = versions()
    return f"lisse {v['lisse']} (DOLFINx {v['dolfinx']}, PETSc {v['petsc']}, Gmsh {v['gmsh']})"


class _VersionAction(argparse.Action):
    """``--version``: the numerical stack is imported only when asked for."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the versions of lisse, DOLFINx, PETSc and Gmsh and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(_version_line(), flush=True)
        parser.exit()


def _unknown_command(argv: list[str]) -> str | None:
    """The error for a misspelt command (``lisse rnu x.yaml``), or None; argparse's own
    message would list every choice without pointing at the one meant."""
    if not argv or argv[0].startswith("-") or argv[0] in COMMANDS:
        return None
    close = difflib.get_close_matches(argv[0], list(COMMANDS), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "commands: " + ", ".join(COMMANDS)
    return f"unknown command '{argv[0]}' ({hint})"


def _sweep_parsers(sub) -> None:
    """``sweep`` and ``report`` (docs/sweeps.md)."""
    sweep = sub.add_parser("sweep", help="run a parameter sweep: locally, under mpirun or as "
                           "one job-array task")
    sweep.add_argument("sweep", help="sweep file (YAML)")
    _output_options(sweep, "sweep results folder (default: the sweep "
                       "file's output, else results/sweeps/<name>)")
    sweep.add_argument("--ranks-per-case", type=int, default=1, metavar="K",
                       help="under mpirun: MPI ranks per case (groups of K ranks)")
    sweep.add_argument("--jobs", type=int, metavar="N", help="local worker processes "
                       "(default: the number of cores); ignored under mpirun")
    sweep.add_argument("--case-index", nargs="?", const="env", metavar="I",
                       help="run case I only (job arrays); without I: $SLURM_ARRAY_TASK_ID")
    sweep.add_argument("--retry-failed", action="store_true", help="run failed cases again")
    sweep.add_argument("--list", action="store_true", help="print the cases and exit")
    sweep.add_argument("--count", action="store_true", help="print the number of cases")
    sweep.add_argument("--collect", action="store_true", help="rebuild the sweep table "
                       "from the case folders")
    sweep.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    report = sub.add_parser("report", help="one self-contained HTML page (and a Markdown "
                            "summary) of a results folder")
    report.add_argument("results", help="a results folder (run, evolution, mechanics, eis, ccd, "
                        "study or sweep) or a sweep file")
    _output_options(report, "report folder (default: RESULTS/report)")


def _output_options(p: argparse.ArgumentParser, help_: str) -> None:
    """``-o/--output`` and ``--overwrite`` (the output-folder rule, docs/reliability.md)."""
    p.add_argument("-o", "--output", help=help_)
    p.add_argument("--overwrite", action="store_true", help="replace the output folder even "
                   "if lisse did not write it (never /, ~, . or a parent of .)")


def _claim(args, out, comm, default: str = "output.directory") -> Path:
    """The output folder after the output-folder rule (solver.io.runfolder.target_problem);
    the message names -o, or where the default folder came from."""
    from lisse.solver.io.runfolder import claim

    return claim(out, comm, args.overwrite, "-o" if args.output else default)


def _load(args):
    from lisse.solver.config.schema import load_case, resolve, resolved_dict

    case = load_case(args.case, args.overrides)
    return case, resolve(case), resolved_dict(case)


def _say(comm, text: str) -> None:
    if comm.rank == 0:
        print(text, flush=True)


def file_kind(data: dict) -> str:
    """The kind of an input file from its top-level keys: a sweep has ``base`` (and ``grid``,
    ``zip`` or ``random``), a study ``study:`` or the patch-study sections ``cell``/``sweep``;
    anything else is a case."""
    if "base" in data or {"grid", "zip", "random"} & set(data):
        return "sweep"
    if {"study", "cell", "sweep"} & set(data):
        return "study"
    return "case"


def _validate(args, comm) -> None:
    from lisse.solver.config.yaml_loader import load_mapping

    kind = args.kind or file_kind(load_mapping(args.case, "input"))
    _say(comm, {"case": _validate_case, "sweep": _validate_sweep,
                "study": _validate_study}[kind](args))


def _validate_case(args) -> str:
    from lisse.meshes.build import validate_geometry
    from lisse.meshes.voids import contact_fraction

    _, params, _ = _load(args)
    geom = params.geometry
    validate_geometry(geom)
    return (f"{args.case}: valid — {geom.dimension} cell, {len(geom.voids)} void(s), "
            f"contact fraction {contact_fraction(geom):.4f}, {params.working.model} kinetics, "
            f"{params.protocol.mode}")


def _validate_sweep(args) -> str:
    from lisse.solver.studies.sweep import load_sweep

    if args.overrides:
        raise UserError("--set: not for sweep files (fixed values go in the sweep's set:)")
    sweep = load_sweep(args.case)  # expands and validates every case; runs nothing
    return (f"{args.case}: valid — sweep {sweep.name}, {len(sweep.cases)} case(s) over "
            f"{', '.join(sweep.parameters)}")


def _validate_study(args) -> str:
    from lisse.solver.studies.patch import load_study

    spec = load_study(args.case, args.overrides)
    if spec.study == "debonded_patch_coupled":
        c = spec.coupled
        return (f"{args.case}: valid — {spec.study} study {spec.name}, "
                f"{len(c.currents_mA_cm2) * len(c.pressures_MPa)} point(s): "
                f"{len(c.currents_mA_cm2)} current(s) × {len(c.pressures_MPa)} pressure(s)")
    s = spec.sweep
    n = len(s.abar) * len(s.creep_exponents) * len(s.contacts)
    return (f"{args.case}: valid — {spec.study} study {spec.name}, {n} case(s): "
            f"{len(s.abar)} ā × {len(s.creep_exponents)} n × {len(s.contacts)} contact(s)")


def _schema(args, comm) -> None:
    import json

    from lisse.solver.config.json_schema import json_schema

    _say(comm, json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))


def _mesh(args, comm) -> None:
    import shutil

    from lisse.meshes.cache import mesh_file
    from lisse.meshes.picture import mesh_picture
    from lisse.solver.io.runfolder import RunFolder, is_lisse_folder, lisse_version

    _, params, _ = _load(args)
    if params.geometry.sizes.refinements:
        raise UserError("geometry.mesh.refinements: lisse mesh writes Gmsh's mesh, which is "
                        "refined only when a run loads it (see the run's mesh.xdmf); set 0")
    out = _claim(args, Path(args.output or params.output.directory), comm)
    if comm.rank == 0:
        path = mesh_file(params.geometry)
        if is_lisse_folder(out):  # add the mesh to a folder lisse wrote (a run's)
            for name in ("mesh.msh", "mesh.png"):
                if (out / name).is_dir():
                    raise UserError(f"{out / name}: is a folder; choose another -o")
            tmp = out / ".mesh.partial.msh"
            shutil.copyfile(path, tmp)
            tmp.replace(out / "mesh.msh")
            tmp = out / ".mesh.partial.png"
            formats = params.output.figure_formats
            for written in mesh_picture(out / "mesh.msh", tmp, params.geometry, formats):
                written.replace(out / f"mesh{written.suffix}")
        else:  # a new folder (or a foreign one with --overwrite): stage, then swap
            from mpi4py import MPI

            folder = RunFolder(out, MPI.COMM_SELF)
            try:
                shutil.copyfile(path, folder.path("mesh.msh"))
                mesh_picture(folder.path("mesh.msh"), folder.path("mesh.png"), params.geometry,
                             params.output.figure_formats)
                folder.write_json("run.json", {"versions": {"lisse": lisse_version()},
                                               "command": sys.argv, "kind": "mesh"})
            except BaseException:
                folder.discard()
                raise
            folder.commit()
        print(f"mesh written to {out / 'mesh.msh'} and {out / 'mesh.png'}")


def _run(args, comm) -> None:
    from lisse.solver import api
    from lisse.solver.io.checkpoint import Interrupted

    try:
        result = api.run(args.case, args.overrides, args.output, comm,
                         overwrite=args.overwrite, label="-o" if args.output else None,
                         resume=args.resume)
    except Interrupted as exc:
        _interrupted(exc, comm, ["run", args.case, *(f"--set={o}" for o in args.overrides)],
                     args.output or args.resume or _load(args)[1].output.directory)
    from lisse.solver.io import headlines

    lines = (headlines.evolution_lines if result.kind == "evolution"
             else headlines.steady_lines)(result.summary)
    _say(comm, "\n".join([f"results: {result.folder.resolve()}", *lines]))


def _interrupted(exc, comm, command: list[str], folder) -> None:
    """A run, search or study stopped with a checkpoint (``Interrupted``): one line with
    the command that resumes it, exit code 3."""
    if comm.rank == 0:
        import shlex

        again = ["lisse", *command, "--resume", str(folder)]
        print(f"lisse: interrupted {exc.what}; resume with: {shlex.join(again)}",
              file=sys.stderr, flush=True)
    sys.exit(exc.exit_code)


def _ccd(args, comm) -> None:
    from lisse.solver import api
    from lisse.solver.io.checkpoint import Interrupted

    try:
        result = api.ccd(args.case, args.overrides, args.vary, args.output, comm,
                         overwrite=args.overwrite, label="-o" if args.output else None,
                         measurements=args.measurements, resume=args.resume,
                         plating=args.plating)
    except Interrupted as exc:
        vary = [f"--vary={args.vary}"] if args.vary else []
        _interrupted(exc, comm, ["ccd", args.case, *(f"--set={o}" for o in args.overrides),
                                 *vary], args.output or args.resume or "results/ccd")
    from lisse.solver.io import headlines

    lines = (headlines.plating_ccd_lines if args.plating else headlines.ccd_lines)(
        result.summary["results"])
    _say(comm, "\n".join([f"results: {result.folder.resolve()}", *lines]))


def _eis(args, comm) -> None:
    from lisse.solver import api

    result = api.eis(args.case, args.overrides, args.output, comm, overwrite=args.overwrite,
                     label="-o" if args.output else None)
    from lisse.solver.io import headlines

    _say(comm, "\n".join([f"results: {result.folder.resolve()}",
                          *headlines.eis_lines(result.summary)]))


def _study(args, comm) -> None:
    from lisse.solver.io.checkpoint import Interrupted
    from lisse.solver.studies.patch import load_study, run_study, summary_lines

    spec = load_study(args.study, args.overrides)
    target = args.output or (args.resume and _resume_target(args.resume)) \
        or spec.output.directory
    out = _claim(args, Path(target), comm)
    try:
        results = run_study(spec, out, comm, argv=sys.argv, resume=args.resume)
    except Interrupted as exc:
        _interrupted(exc, comm, ["study", args.study, *(f"--set={o}" for o in args.overrides)],
                     args.output or args.resume or spec.output.directory)
    _say(comm, "\n".join(summary_lines(results, out)))


def _resume_target(folder: str) -> str:
    from lisse.solver.api import _resume_target

    return str(_resume_target(Path(folder)))


def _sweep(args, comm) -> None:
    from lisse.solver.studies.sweep_pool import prestart

    workers = prestart(args, comm)  # a local pool's workers import while the sweep loads
    from lisse.solver.studies.sweep import command

    command(args, comm, workers)


def _report(args, comm) -> None:
    from lisse.solver.io.report import command

    command(args, comm)


COMMANDS = {"validate": _validate, "schema": _schema, "mesh": _mesh, "run": _run, "ccd": _ccd,
            "eis": _eis, "sweep": _sweep, "report": _report, "study": _study}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if error := _unknown_command(argv):
        print(f"lisse: error: {error}", file=sys.stderr, flush=True)
        return 2
    args = _parser().parse_args(argv)
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    try:
        COMMANDS[args.command](args, comm)
    except LisseError as exc:
        if comm.rank == 0:
            print(f"lisse: error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `lisse schema | head`: the reader left early; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a program killed by SIGPIPE
    return 0


if __name__ == "__main__":
    sys.exit(main())
