"""Hostile inputs (issue 17 items 1-3): every command answers a bad input with exit code 2
and one stderr line ``lisse: error: <field>: <cause>`` (a solver failure with exit code 1),
never a traceback or a hang, and leaves a sentinel file beside its output untouched.

The matrix ``CASES`` is a table (id, arguments, files, exit code, substring of the message);
its rows run in-process through ``lisse.solver.cli.main`` and stop before meshing, so they
are fast. Corrupt earlier outputs (run and sweep folders), ``mpirun -n 2`` variants and
solver failures follow; the config schema is fuzzed with hypothesis (validation only).
Categories: docs/reliability.md, section "Hostile inputs".
"""

from __future__ import annotations

import copy
import math
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lisse.solver.cli import main
from lisse.solver.config.schema import load_case, validate_case
from lisse.solver.errors import ConfigError
from tests.helpers import ROOT, TINY, run_lisse

SWEEP = {"base": "case.yaml", "name": "sw",
         "grid": {"protocol.current_density_mA_cm2": [0.5, 1.0]}}
SENTINEL = "not lisse's: keep me\n"
DEMO = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())


def _case(**sets) -> str:
    """TINY with dotted-path changes (a value None deletes the key), as YAML text."""
    data = copy.deepcopy(TINY)
    for path, value in sets.items():
        *parents, last = path.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return yaml.safe_dump(data)


def _sweep(**changes) -> str:
    return yaml.safe_dump({**SWEEP, **changes}, sort_keys=False)


BOMB = "".join(f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]\n" for k in range(1, 10))
BOMB = "l0: &l0 [lol]\n" + BOMB
STUDY = (ROOT / "configs" / "studies" / "debonded_patch.yaml").read_text()


STAIRCASE = ("{start_mA_cm2: 0.1, step_mA_cm2: 1e-9, stop_mA_cm2: 10, "
             "step_capacity_mAh_cm2: 0.1}")


def _set(path: str, value: str) -> list[str]:
    return ["--set", f"{path}={value}"]


# (id, arguments, files {name: text or bytes}, exit code, substring of the one error line);
# every case runs in a folder holding case.yaml (TINY), sweep.yaml and sentinel.txt; "out"
# is the output folder, which must not appear.
V = ["validate", "case.yaml"]
CASES = [
    # --- the command line itself ---
    ("no-command", [], {}, 2, "required: command"),
    ("unknown-command", ["rnu", "case.yaml"], {}, 2, "did you mean 'run'"),
    ("no-case", ["run"], {}, 2, "required: case"),
    ("unknown-option", ["run", "case.yaml", "--frobnicate"], {}, 2, "--frobnicate"),
    ("set-no-equals", [*V, "--set", "geometry.width_um"], {}, 2, "expected section.key=value"),
    ("set-empty-part", [*V, "--set", "geometry..width_um=5"], {}, 2, "expected section.key"),
    ("set-bad-index", [*V, "--set", "geometry.voids.9.radius_um=3"], {}, 2, "no list entry 9"),
    ("set-into-value", [*V, "--set", "geometry.width_um.x=1"], {}, 2, "is a value"),
    ("set-unknown", [*V, *_set("geometry.widht_um", "5")], {}, 2, "did you mean 'width_um'"),
    ("set-unparsable", [*V, *_set("geometry.width_um", "[1,")], {}, 2, "cannot parse"),
    ("set-alias", [*V, *_set("geometry.width_um", "*a")], {}, 2, "alias"),
    ("jobs-text", ["sweep", "sweep.yaml", "--jobs", "abc"], {}, 2, "invalid int value"),
    # --- the file: malformed and hostile YAML ---
    ("missing-file", ["validate", "nothere.yaml"], {}, 2, "no such input file"),
    ("folder-as-case", ["validate", "."], {}, 2, "is a folder"),
    ("case-under-file", ["validate", "sentinel.txt/case.yaml"], {}, 2, "Not a directory"),
    ("empty-file", ["validate", "x.yaml"], {"x.yaml": ""}, 2, "empty"),
    ("only-comment", ["validate", "x.yaml"], {"x.yaml": "# nothing\n"}, 2, "empty"),
    ("top-list", ["validate", "x.yaml"], {"x.yaml": "- 1\n- 2\n"}, 2, "mapping"),
    ("top-scalar", ["validate", "x.yaml"], {"x.yaml": "42\n"}, 2, "mapping"),
    ("syntax", ["validate", "x.yaml"], {"x.yaml": "geometry: [1, 2\n"}, 2, "invalid YAML"),
    ("tab-indent", ["validate", "x.yaml"], {"x.yaml": "geometry:\n\twidth_um: 5\n"}, 2,
     "invalid YAML"),
    ("duplicate-key", ["validate", "x.yaml"],
     {"x.yaml": "name: a\nname: b\ngeometry: {}\n"}, 2, "duplicate key 'name'"),
    ("anchor", ["validate", "x.yaml"], {"x.yaml": "a: &x 1\nb: 2\n"}, 2, "anchor"),
    ("alias-bomb", ["validate", "x.yaml"], {"x.yaml": BOMB}, 2, "anchor"),
    ("merge-key", ["validate", "x.yaml"], {"x.yaml": "a:\n  <<: {b: 1}\n"}, 2, "merge keys"),
    ("python-tag", ["validate", "x.yaml"],
     {"x.yaml": "name: !!python/object/apply:os.system ['true']\n"}, 2, "invalid YAML"),
    ("two-documents", ["validate", "x.yaml"], {"x.yaml": "a: 1\n---\nb: 2\n"}, 2,
     "second YAML document"),
    ("deep-nesting", ["validate", "x.yaml"],
     {"x.yaml": "geometry: " + "[" * 5000 + "]" * 5000 + "\n"}, 2, "nested more than"),
    ("nul-byte", ["validate", "x.yaml"], {"x.yaml": b"name: a\x00\n"}, 2, "binary content"),
    ("bad-utf8", ["validate", "x.yaml"], {"x.yaml": b"name: \xff\xfe\n"}, 2, "UTF-8"),
    ("huge-file", ["validate", "x.yaml"], {"x.yaml": "# " + "x" * 2_000_000 + "\n"}, 2,
     "MB"),
    ("unknown-top-key", ["validate", "x.yaml"], {"x.yaml": _case(geometri={})}, 2,
     "did you mean 'geometry'"),
    ("no-geometry", ["validate", "x.yaml"], {"x.yaml": _case(geometry=None)}, 2,
     "geometry"),
    ("typo-required-key", ["validate", "x.yaml"],  # the typo, not the "required" it causes
     {"x.yaml": _case(geometry__width_um=None, geometry__widht_um=40)}, 2,
     "geometry.widht_um: unknown key (did you mean 'width_um'?)"),
    # --- wrong types ---
    ("width-text", [*V, *_set("geometry.width_um", "abc")], {}, 2, "geometry.width_um"),
    ("width-bool", [*V, *_set("geometry.width_um", "true")], {}, 2, "must be a number"),
    ("width-list", [*V, *_set("geometry.width_um", "[1, 2]")], {}, 2, "geometry.width_um"),
    ("width-map", [*V, *_set("geometry.width_um", "{a: 1}")], {}, 2, "geometry.width_um"),
    ("width-null", [*V, *_set("geometry.width_um", "null")], {}, 2, "geometry.width_um"),
    ("voids-number", [*V, *_set("geometry.voids", "5")], {}, 2, "geometry.voids"),
    ("void-number", [*V, *_set("geometry.voids", "[5]")], {}, 2, "geometry.voids.0"),
    ("mesh-number", [*V, *_set("geometry.mesh", "3")], {}, 2, "geometry.mesh"),
    ("mode-number", [*V, *_set("protocol.mode", "7")], {}, 2, "protocol.mode"),
    ("temperature-text", [*V, *_set("temperature_C", "hot")], {}, 2, "temperature_C"),
    ("iterations-fraction", [*V, *_set("numerics.newton_max_iterations", "2.5")], {}, 2,
     "must be an integer"),
    ("seed-negative", [*V, *_set("seed", "-1")], {}, 2, "seed"),
    ("seed-bool", [*V, *_set("seed", "true")], {}, 2, "must be an integer"),
    ("name-slash", [*V, *_set("name", "a/b")], {}, 2, "plain name"),
    ("name-dotdot", [*V, *_set("name", "..")], {}, 2, "plain name"),
    ("name-empty", [*V, *_set("name", "''")], {}, 2, "name"),
    ("output-empty", [*V, *_set("output.directory", "''")], {}, 2, "output.directory"),
    ("fields-number", [*V, *_set("output.fields", "3")], {}, 2, "output.fields"),
    ("unknown-material", [*V, *_set("materials.electrolyte", "Unobtainium")], {}, 2,
     "materials.electrolyte"),
    ("unknown-kinetics", [*V, *_set("interface.kinetics", "magic")], {}, 2,
     "interface.kinetics"),
    ("dimension-4d", [*V, *_set("geometry.dimension", "4d")], {}, 2, "geometry.dimension"),
    ("void-shape", [*V, *_set("geometry.voids.0.shape", "star")], {}, 2,
     "geometry.voids.0.shape"),
    ("linear-no-resistance", [*V, *_set("interface.kinetics", "linear")], {}, 2,
     "interface.resistance_ohm_cm2"),
    # --- NaN and infinities ---
    *[(f"{field}-{text}", [*V, *_set(field, text)], {}, 2, "must be finite")
      for field in ("geometry.width_um", "geometry.electrolyte_thickness_um",
                    "geometry.mesh.size_um", "geometry.voids.0.radius_um",
                    "protocol.current_density_mA_cm2", "temperature_C")
      for text in (".nan", ".inf", "-.inf")],
    ("center-nan", [*V, *_set("geometry.voids.0.center_um", ".nan")], {}, 2, "finite"),
    ("rtol-nan", [*V, *_set("numerics.newton_rtol", "nan")], {}, 2, "finite"),
    ("ccd-max-inf", [*V, *_set("evolution.ccd.max_mA_cm2", "inf")], {}, 2, "finite"),
    ("width-1e400", [*V, *_set("geometry.width_um", "1e400")], {}, 2, "finite"),
    # --- out of range and absurd sizes ---
    ("width-zero", [*V, *_set("geometry.width_um", "0")], {}, 2, "must be > 0"),
    ("width-negative", [*V, *_set("geometry.width_um", "-5")], {}, 2, "must be > 0"),
    ("width-1e300", [*V, *_set("geometry.width_um", "1e300")], {}, 2, "<= 1e+06"),
    ("lithium-zero", [*V, *_set("geometry.lithium_thickness_um", "0")], {}, 2,
     "geometry.lithium_thickness_um"),
    ("electrolyte-huge", [*V, *_set("geometry.electrolyte_thickness_um", "1e7")], {}, 2,
     "geometry.electrolyte_thickness_um"),
    ("temperature-cold", [*V, *_set("temperature_C", "-300")], {}, 2, "temperature_C"),
    ("temperature-hot", [*V, *_set("temperature_C", "1e4")], {}, 2, "temperature_C"),
    ("current-zero", [*V, *_set("protocol.current_density_mA_cm2", "0")], {}, 2, "nonzero"),
    ("current-huge", [*V, *_set("protocol.current_density_mA_cm2", "1e6")], {}, 2, "<= 1000"),
    ("current-huge-negative", [*V, *_set("protocol.current_density_mA_cm2", "-1e6")], {}, 2,
     "<= 1000"),
    ("voltage-huge", [*V, *_set("protocol.mode", "potentiostatic"),
                      *_set("protocol.current_density_mA_cm2", "null"),
                      *_set("protocol.voltage_V", "100")], {}, 2, "protocol.voltage_V"),
    ("voltage-missing", [*V, *_set("protocol.mode", "potentiostatic")], {}, 2,
     "protocol.voltage_V: required"),
    ("rtol-unreachable", [*V, *_set("numerics.newton_rtol", "1e-16")], {}, 2,
     "cannot be reached in double precision"),
    ("rtol-zero", [*V, *_set("numerics.newton_rtol", "0")], {}, 2, "numerics.newton_rtol"),
    ("rtol-one", [*V, *_set("numerics.newton_rtol", "1")], {}, 2, "numerics.newton_rtol"),
    ("krylov-rtol-tiny", [*V, *_set("numerics.krylov_rtol", "1e-20")], {}, 2,
     "numerics.krylov_rtol: 1e-20 cannot be reached"),
    ("iterations-zero", [*V, *_set("numerics.newton_max_iterations", "0")], {}, 2,
     "numerics.newton_max_iterations"),
    ("iterations-huge", [*V, *_set("numerics.newton_max_iterations", "1e6")], {}, 2,
     "numerics.newton_max_iterations"),
    ("mesh-size-zero", [*V, *_set("geometry.mesh.size_um", "0")], {}, 2,
     "geometry.mesh.size_um"),
    ("mesh-size-negative", [*V, *_set("geometry.mesh.size_um", "-1")], {}, 2,
     "geometry.mesh.size_um"),
    ("growth-zero", [*V, *_set("geometry.mesh.growth_rate", "0")], {}, 2,
     "geometry.mesh.growth_rate"),
    ("growth-huge", [*V, *_set("geometry.mesh.growth_rate", "100")], {}, 2,
     "geometry.mesh.growth_rate"),
    ("max-cells-zero", [*V, *_set("geometry.mesh.max_cells", "0")], {}, 2,
     "geometry.mesh.max_cells"),
    ("void-radius-zero", [*V, *_set("geometry.voids.0.radius_um", "0")], {}, 2,
     "geometry.voids.0.radius_um"),
    ("void-too-high", [*V, *_set("geometry.voids.0.height_um", "10")], {}, 2,
     "geometry.voids.0.height_um: must be < lithium_thickness_um"),
    ("void-outside", [*V, *_set("geometry.voids.0.center_um", "50")], {}, 2,
     "must lie in the cell"),
    ("cycles-zero", [*V, *_set("evolution.cycles", "0")], {}, 2, "evolution.cycles"),
    ("cycles-huge", [*V, *_set("evolution.cycles", "1e9")], {}, 2, "evolution.cycles"),
    ("snapshots-negative", [*V, *_set("evolution.field_snapshots", "-1")], {}, 2,
     "evolution.field_snapshots"),
    ("interface-time-negative", [*V, *_set("evolution.interface_times_h", "[-1]")], {}, 2,
     "evolution.interface_times_h.0"),
    # --- time guards: protocols that would expand or run (nearly) forever ---
    ("staircase-tiny-step", [*V, *_set("evolution.staircase", STAIRCASE)], {}, 2,
     "evolution.staircase.step_mA_cm2: 9.9e+09 steps from start to stop (limit 10000)"),
    ("staircase-reversed", [*V, *_set("evolution.staircase", STAIRCASE.replace(
        "step_mA_cm2: 1e-9, stop_mA_cm2: 10", "step_mA_cm2: 1, stop_mA_cm2: 0.01"))], {}, 2,
     "evolution.staircase.stop_mA_cm2: must be >= start_mA_cm2"),
    ("protocol-1e300-h", [*V, *_set("evolution.steps", "[{current_density_mA_cm2: 1, "
                                    "duration_h: 1e300}]")], {}, 2,
     "evolution.time_step.max_s: the protocol (1e+300 h) needs more than"),
    ("protocol-cycles", [*V, *_set("evolution.steps", "[{current_density_mA_cm2: 1, "
                                   "duration_h: 100}]"), *_set("evolution.cycles", "10000")],
     {}, 2, "6.0e+06 time steps of max_s 600 s (limit 1e+06)"),
    ("protocol-trickle", [*V, *_set("evolution.steps", "[{current_density_mA_cm2: 1e-300, "
                                    "capacity_mAh_cm2: 1}]")], {}, 2, "time_step.max_s"),
    ("step-no-length", [*V, *_set("evolution.steps", "[{current_density_mA_cm2: 1}]")], {},
     2, "give duration_h, capacity_mAh_cm2 or an until condition"),
    ("step-current-huge", [*V, *_set("evolution.steps", "[{current_density_mA_cm2: 1e5, "
                                     "duration_h: 1}]")], {}, 2,
     "evolution.steps.0.current_density_mA_cm2"),
    ("time-step-zero", [*V, *_set("evolution.time_step.max_s", "0")], {}, 2,
     "evolution.time_step.max_s"),
    # --- the size guard (before Gmsh): ~7e8 cells would hang for hours ---
    ("cells-2e9", [*V, *_set("geometry.width_um", "2000"),
                   *_set("geometry.electrolyte_thickness_um", "1000"),
                   *_set("geometry.mesh.size_um", "0.05"),
                   *_set("geometry.mesh.interface_size_um", "0.05"),
                   *_set("geometry.mesh.edge_size_um", "0.05")], {}, 2,
     "geometry.mesh: about 1.9e+09 cells requested (limit 5.0e+06)"),
    ("cells-fine-bulk", [*V, *_set("geometry.mesh.size_um", "0.01")], {}, 2,
     "raise geometry.mesh.size_um or set geometry.mesh.max_cells"),
    ("cells-size-1e-300", [*V, *_set("geometry.mesh.size_um", "1e-300")], {}, 2,
     "about inf cells requested"),
    ("cells-limit-lowered", [*V, *_set("geometry.mesh.max_cells", "100")], {}, 2,
     "(limit 1.0e+02)"),
    ("cells-3d", [*V, *_set("geometry.dimension", "3d"),
                  *_set("geometry.voids.0.center_um", "[0, 0]"),
                  *_set("geometry.mesh.size_um", "0.5")], {}, 2, "cells requested"),
    ("cells-run", ["run", "case.yaml", "-o", "out", *_set("geometry.mesh.size_um", "0.01")],
     {}, 2, "cells requested"),
    ("cells-mesh", ["mesh", "case.yaml", "-o", "out",
                    *_set("geometry.mesh.size_um", "0.01")], {}, 2, "cells requested"),
    # --- impossible geometry ---
    ("voids-overlap", [*V, *_set("geometry.voids", "[{center_um: 20, radius_um: 8, "
                                 "height_um: 2}, {center_um: 25, radius_um: 8, "
                                 "height_um: 2}]")], {}, 2, "overlaps"),
    ("voids-cover-all", [*V, *_set("geometry.voids", "[{center_um: 20, radius_um: 25, "
                                   "height_um: 2}]")], {}, 2, "geometry.voids"),
    ("voids-and-random", [*V, *_set("geometry.random_voids", "{contact_fraction: 0.5, "
                                    "radius_um: [1, 2]}")], {}, 2, "random_voids"),
    ("random-fraction-one", [*V, *_set("geometry.voids", "[]"),
                             *_set("geometry.random_voids", "{contact_fraction: 1, "
                                   "radius_um: [1, 2]}")], {}, 2, "contact_fraction"),
    ("random-radius-reversed", [*V, *_set("geometry.voids", "[]"),
                                *_set("geometry.random_voids", "{contact_fraction: 0.5, "
                                      "radius_um: [5, 1]}")], {}, 2, "radius_um"),
    ("spot-and-voids", [*V, *_set("geometry.contact_spot_radius_um", "5")], {}, 2,
     "contact_spot_radius_um"),
    ("spot-too-wide", [*V, *_set("geometry.voids", "[]"),
                       *_set("geometry.contact_spot_radius_um", "50")], {}, 2,
     "must be < the cell's lateral size"),
    ("periodic", [*V, *_set("geometry.lateral_boundary", "periodic")], {}, 2, "periodic"),
    ("depth-in-plane", [*V, *_set("geometry.depth_um", "10")], {}, 2, "geometry.depth_um"),
    ("pair-in-plane", [*V, *_set("geometry.voids.0.center_um", "[1, 2]")], {}, 2,
     "geometry.voids.0.center_um"),
    # --- bad paths (run as root here: a path under a regular file, not permissions) ---
    ("run-o-file", ["run", "case.yaml", "-o", "sentinel.txt"], {}, 2, "sentinel.txt"),
    ("run-o-root", ["run", "case.yaml", "-o", "/"], {}, 2, "root folder"),
    ("run-o-dot", ["run", "case.yaml", "-o", "."], {}, 2, "-o ."),
    ("run-o-parent", ["run", "case.yaml", "-o", ".."], {}, 2, "-o .."),
    ("run-o-under-file", ["run", "case.yaml", "-o", "sentinel.txt/out"], {}, 2,
     "Not a directory"),
    ("run-output-under-file", ["run", "case.yaml",
                               *_set("output.directory", "sentinel.txt/out")], {}, 2,
     "Not a directory"),
    ("run-o-foreign", ["run", "case.yaml", "-o", "foreign"], {"foreign/keep.txt": "x"}, 2,
     "foreign"),
    ("mesh-o-file", ["mesh", "case.yaml", "-o", "sentinel.txt"], {}, 2, "sentinel.txt"),
    ("mesh-o-root", ["mesh", "case.yaml", "-o", "/"], {}, 2, "root"),
    ("mesh-o-under-file", ["mesh", "case.yaml", "-o", "sentinel.txt/m"], {}, 2,
     "Not a directory"),
    ("ccd-o-file", ["ccd", "case.yaml", "-o", "sentinel.txt"], {}, 2, "sentinel.txt"),
    ("ccd-o-root", ["ccd", "case.yaml", "-o", "/"], {}, 2, "root"),
    ("study-o-file", ["study", "study.yaml", "-o", "sentinel.txt"], {"study.yaml": STUDY}, 2,
     "sentinel.txt"),
    ("sweep-o-file", ["sweep", "sweep.yaml", "-o", "sentinel.txt", "--jobs", "1"], {}, 2,
     "sentinel.txt"),
    ("sweep-o-root", ["sweep", "sweep.yaml", "-o", "/", "--jobs", "1"], {}, 2, "root"),
    ("report-missing", ["report", "nothere", "-o", "out"], {}, 2,
     "nothere: not a results folder of lisse (no such folder)"),
    ("report-empty-folder", ["report", "empty", "-o", "out"], {"empty/.keep": ""}, 2,
     "not a results folder"),
    ("report-binary-file", ["report", "b.bin", "-o", "out"], {"b.bin": b"\x00\x01"}, 2,
     "binary content"),
    ("report-case-file", ["report", "case.yaml", "-o", "out"], {}, 2, "unknown key"),
    ("report-o-root", ["report", "run", "-o", "/"], {"run/summary.json": "{}"}, 2, "/"),
    # --- CCD searches ---
    ("ccd-start-above-max", ["ccd", "case.yaml", "-o", "out",
                             *_set("evolution.ccd.start_mA_cm2", "200")], {}, 2,
     "evolution.ccd.start_mA_cm2: must be < max_mA_cm2 100"),
    ("ccd-start-equals-max", [*V, *_set("evolution.ccd.start_mA_cm2", "5"),
                              *_set("evolution.ccd.max_mA_cm2", "5")], {}, 2,
     "evolution.ccd.start_mA_cm2"),
    ("ccd-rtol-zero", [*V, *_set("evolution.ccd.rtol", "0")], {}, 2, "evolution.ccd.rtol"),
    ("ccd-rtol-one", [*V, *_set("evolution.ccd.rtol", "1")], {}, 2, "evolution.ccd.rtol"),
    ("ccd-capacity-zero", [*V, *_set("evolution.ccd.capacity_mAh_cm2", "0")], {}, 2,
     "evolution.ccd.capacity_mAh_cm2"),
    ("ccd-vary-no-values", ["ccd", "case.yaml", "-o", "out", "--vary", "temperature_C="], {},
     2, "--vary"),
    ("ccd-vary-no-equals", ["ccd", "case.yaml", "-o", "out", "--vary", "x"], {}, 2,
     "--vary"),
    ("ccd-vary-text", ["ccd", "case.yaml", "-o", "out", "--vary", "temperature_C=abc"], {},
     2, "temperature_C"),
    ("ccd-vary-overflow", ["ccd", "case.yaml", "-o", "out", "--vary", "temperature_C=1e400"],
     {}, 2, "finite"),
    ("ccd-vary-unknown", ["ccd", "case.yaml", "-o", "out", "--vary", "geometry.widht_um=1,2"],
     {}, 2, "did you mean"),
    # --- more Li stripped than the electrode holds (coupled model, li_exhaustion) ---
    ("li-overdrawn-run", ["run", "case.yaml", "-o", "out",
                          *_set("evolution.stack_pressure_MPa", "2"),
                          *_set("evolution.steps", "[{current_density_mA_cm2: 1, "
                                "capacity_mAh_cm2: 2.5}]")], {}, 2,
     "evolution.steps: the protocol strips (net, at its peak) 2.5 mAh/cm² but the 10 µm Li "
     "electrode holds 2.062 mAh/cm²"),
    ("li-overdrawn-cycles", ["run", "case.yaml", "-o", "out",
                             *_set("evolution.stack_pressure_MPa", "2"),
                             *_set("evolution.protocol", "['Repeat 4 times: [Strip at 1 mA/cm2 "
                                   "for 1 mAh/cm2, Plate at 1 mA/cm2 for 0.5 mAh/cm2]']")],
     {}, 2, "evolution.protocol: the protocol strips (net, at its peak) 2.5 mAh/cm²"),
    ("li-overdrawn-ccd", ["ccd", "case.yaml", "-o", "out",
                          *_set("evolution.stack_pressure_MPa", "2"),
                          *_set("evolution.ccd.capacity_mAh_cm2", "2.5")], {}, 2,
     "evolution.ccd.capacity_mAh_cm2: each CCD trial strips 2.5 mAh/cm² but the 10 µm Li"),
    # --- sweeps: files, absurd sizes and options ---
    ("sweep-jobs-negative", ["sweep", "sweep.yaml", "-o", "out", "--jobs", "-1"], {}, 2,
     "--jobs: must be >= 1 (got -1)"),
    ("sweep-jobs-zero", ["sweep", "sweep.yaml", "-o", "out", "--jobs", "0"], {}, 2,
     "--jobs"),
    ("sweep-ranks-zero", ["sweep", "sweep.yaml", "-o", "out", "--ranks-per-case", "0"], {},
     2, "--ranks-per-case: must be >= 1"),
    ("sweep-ranks-negative", ["sweep", "sweep.yaml", "-o", "out", "--ranks-per-case", "-2"],
     {}, 2, "--ranks-per-case"),
    ("sweep-ranks-serial", ["sweep", "sweep.yaml", "-o", "out", "--jobs", "2",
                            "--ranks-per-case", "2"], {}, 2, "needs mpirun"),
    ("sweep-index-high", ["sweep", "sweep.yaml", "-o", "out", "--case-index", "99"], {}, 2,
     "out of range"),
    ("sweep-index-negative", ["sweep", "sweep.yaml", "-o", "out", "--case-index", "-1"], {},
     2, "out of range"),
    ("sweep-index-text", ["sweep", "sweep.yaml", "-o", "out", "--case-index", "abc"], {}, 2,
     "must be an integer"),
    ("sweep-num-1e8", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": {"start": 0, "stop": 60, "num": 10**8}})}, 2,
     "num: must be an integer from 1 to 100000"),
    ("sweep-step-tiny", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": {"start": 0, "stop": 60, "step": 1e-9}})}, 2,
     "makes more than 100000 values"),
    ("sweep-product", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": {"start": 0, "stop": 60, "num": 1000},
                             "protocol.current_density_mA_cm2":
                                 {"start": 0.1, "stop": 2, "num": 1000}})}, 2,
     "1e+06 cases (the product of the axes) exceed the limit 100000"),
    ("sweep-samples-huge", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid=None, random={"samples": 10**9, "seed": 1,
                                          "values": {"temperature_C": {"uniform": [0, 60]}}})},
     2, "samples: must be <= 100000"),
    ("sweep-num-zero", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": {"start": 0, "stop": 60, "num": 0}})}, 2,
     "num"),
    ("sweep-step-zero", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": {"start": 0, "stop": 60, "step": 0}})}, 2,
     "step: must be nonzero"),
    ("sweep-empty-list", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": []})}, 2, "empty list"),
    ("sweep-no-axes", ["sweep", "s.yaml", "--count"], {"s.yaml": _sweep(grid=None)}, 2,
     "name the values to vary"),
    ("sweep-unknown-key", ["sweep", "s.yaml", "--count"], {"s.yaml": _sweep(gird={})}, 2,
     "gird: unknown key"),
    ("sweep-no-base", ["sweep", "s.yaml", "--count"],
     {"s.yaml": yaml.safe_dump({"grid": {"temperature_C": [0]}})}, 2, "base: required"),
    ("sweep-base-missing", ["sweep", "s.yaml", "--count"], {"s.yaml": _sweep(base="no.yaml")},
     2, "no such case file"),
    ("sweep-base-invalid", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(base="b.yaml"), "b.yaml": _case(temperature_C="hot")}, 2,
     "temperature_C"),
    ("sweep-value-bad", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": [0, "hot"]})}, 2, "temperature_C"),
    ("sweep-value-nan", ["sweep", "s.yaml", "--count"],
     {"s.yaml": "base: case.yaml\ngrid:\n  temperature_C: [0, .nan]\n"}, 2, "finite"),
    ("sweep-path-unknown", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"geometry.widht_um": [1, 2]})}, 2, "widht_um"),
    ("sweep-zip-lengths", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid=None, zip={"temperature_C": [0, 1],
                                       "protocol.current_density_mA_cm2": [1]})}, 2,
     "one length"),
    ("sweep-random-kind", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid=None, random={"samples": 2, "seed": 1,
                                          "values": {"temperature_C": {"normal": [0, 1]}}})},
     2, "must be one of"),
    ("sweep-repeated-case", ["sweep", "s.yaml", "--count"],
     {"s.yaml": _sweep(grid={"temperature_C": [25, 25]})}, 2, "the same case"),
    ("sweep-name-slash", ["sweep", "s.yaml", "--count"], {"s.yaml": _sweep(name="a/b")}, 2,
     "plain name"),
    ("sweep-duplicate-key", ["sweep", "s.yaml", "--count"],
     {"s.yaml": "base: case.yaml\nbase: case.yaml\ngrid: {temperature_C: [0]}\n"}, 2,
     "duplicate key"),
    ("sweep-binary", ["sweep", "s.yaml", "--count"], {"s.yaml": b"\x00\x00"}, 2, "binary"),
    # --- studies ---
    ("study-missing", ["study", "nothere.yaml", "-o", "out"], {}, 2, "no such study file"),
    ("study-binary", ["study", "s.yaml", "-o", "out"], {"s.yaml": b"\x00"}, 2, "binary"),
    ("study-unknown-key", ["study", "s.yaml", "-o", "out"], {"s.yaml": STUDY + "bogus: 1\n"},
     2, "bogus"),
    ("study-set-bad", ["study", "s.yaml", "-o", "out", *_set("sweep.abar", "[abc]")],
     {"s.yaml": STUDY}, 2, "sweep.abar"),
    ("study-set-nan", ["study", "s.yaml", "-o", "out", *_set("sweep.abar", "[.nan]")],
     {"s.yaml": STUDY}, 2, "sweep.abar"),
    ("study-duplicate", ["study", "s.yaml", "-o", "out"], {"s.yaml": STUDY + "name: again\n"},
     2, "duplicate key"),
]


# the same inputs through the commands that solve or mesh (they must stop as early)
REPLAYED = ("duplicate-key", "alias-bomb", "nul-byte", "width-bool",
            "geometry.width_um-.nan", "current-huge", "rtol-unreachable", "cells-2e9",
            "voids-overlap", "protocol-1e300-h", "spot-too-wide", "unknown-material")
for _row in [r for r in CASES if r[0] in REPLAYED]:
    _name, (_, _file, *_rest), *_tail = _row
    CASES += [(f"{command}-{_name}", [command, _file, "-o", "out", *_rest, *extra], *_tail)
              for command, extra in (("run", []), ("mesh", []),
                                     ("ccd", _set("evolution.ccd.rtol", "0.05")))
              # ccd checks the mesh-level geometry after its progress line has started
              if not (command == "ccd" and _name == "voids-overlap")]


def _setup(folder: Path, files: dict) -> Path:
    """case.yaml, sweep.yaml, the sentinel and ``files`` in ``folder``; returns the
    sentinel."""
    (folder / "case.yaml").write_text(yaml.safe_dump(TINY))
    (folder / "sweep.yaml").write_text(_sweep())
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    sentinel = folder / "sentinel.txt"
    sentinel.write_text(SENTINEL)
    return sentinel


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def call(args: list[str], capsys) -> tuple[int, str]:
    """``lisse ARGS`` in-process: (exit code, stderr); argparse's exits count too."""
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.err


def clean(code: int, err: str, expected: int, words: str, sentinel: Path | None) -> None:
    """The exit code, one ``lisse: error:`` line holding ``words``, no traceback, the
    sentinel untouched and no output folder ``out`` made."""
    assert code == expected, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lisse: error: "), err
    assert "Traceback" not in err
    assert words in lines[0], lines[0]
    if sentinel is not None:
        assert sentinel.read_text() == SENTINEL
        assert not (sentinel.parent / "out").exists()
        assert not [p for p in sentinel.parent.iterdir() if ".partial" in p.name]


def test_matrix_size():
    """At least 150 hostile inputs over every command."""
    commands = {args[0] for _, args, *_ in CASES if args}
    assert len(CASES) >= 150 and len({c[0] for c in CASES}) == len(CASES)
    assert {"validate", "run", "mesh", "ccd", "study", "sweep", "report"} <= commands


@pytest.mark.parametrize(("args", "files", "expected", "words"),
                         [pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_hostile_input(work, capsys, args, files, expected, words):
    sentinel = _setup(work, files)
    code, err = call(args, capsys)
    clean(code, err, expected, words, sentinel)


# --- truncated and corrupt earlier outputs ------------------------------------------------


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    """A finished run folder ``run`` and sweep folder ``sw`` (two cases) of TINY."""
    folder = tmp_path_factory.mktemp("outputs")
    _setup(folder, {})
    cwd = os.getcwd()
    os.environ["LISSE_CACHE_DIR"] = str(folder / "cache")
    try:
        os.chdir(folder)
        assert main(["run", "case.yaml", "-o", "run"]) == 0
        assert main(["sweep", "sweep.yaml", "-o", "sw", "--jobs", "1"]) == 0
    finally:
        os.chdir(cwd)
    return folder


def _first_case(folder: Path) -> Path:
    return sorted((folder / "cases").iterdir())[0]


TRUNCATE = object()  # keep the first half of the file
CORRUPTIONS = {
    "truncated": TRUNCATE, "binary": b"\x00\xff\xfe\x01", "invalid-utf8": b"{\"a\": \"\xff\"}",
    "empty": b"", "array": b"[1, 2]", "null": b"null", "number": b"42",
}


def _corrupt(path: Path, content) -> None:
    if content is TRUNCATE:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(content)


@pytest.fixture
def earlier(outputs, work) -> Path:
    """Copies of the run and sweep folders in the test's folder (with the sentinel)."""
    shutil.copytree(outputs / "run", work / "run")
    shutil.copytree(outputs / "sw", work / "sw")
    _setup(work, {})
    return work


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
@pytest.mark.parametrize(("target", "words"), [("run/summary.json", "corrupt run summary"),
                                               ("sw/sweep.json", "corrupt sweep manifest")])
def test_report_corrupt(earlier, capsys, target, words, kind):
    _corrupt(earlier / target, CORRUPTIONS[kind])
    code, err = call(["report", target.split("/")[0], "-o", "out"], capsys)
    clean(code, err, 2, words, earlier / "sentinel.txt")


@pytest.mark.parametrize(("name", "content", "words"), [
    ("summary.json", b'[1, 2]', "corrupt"),
    ("interface.csv", b"x_um,y_um,j_A_m2,contact\n1,0,abc,1\n", "corrupt or incomplete"),
])
def test_report_run_incomplete(earlier, capsys, name, content, words):
    (earlier / "run" / name).write_bytes(content)
    code, err = call(["report", "run", "-o", "out"], capsys)
    clean(code, err, 2, words, earlier / "sentinel.txt")


def test_report_sweep_timeseries_corrupt(earlier, capsys):
    """A truncated timeseries.csv in a case folder: one line, not a traceback."""
    (_first_case(earlier / "sw") / "timeseries.csv").write_bytes(b"time_s,contact_fraction\n1,")
    code, err = call(["report", "sw", "-o", "out"], capsys)
    clean(code, err, 2, "corrupt or incomplete results", earlier / "sentinel.txt")


def test_sweep_manifest_incomplete(earlier, capsys):
    (earlier / "sw" / "sweep.json").write_text('{"name": "sw", "parameters": []}')
    code, err = call(["report", "sw", "-o", "out"], capsys)
    clean(code, err, 2, "corrupt sweep manifest (needs name, parameters and cases)",
          earlier / "sentinel.txt")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["truncated", "binary", "array"])
@pytest.mark.parametrize("name", ["summary.json", "run.json"])
def test_sweep_resume_reruns_corrupt_case(earlier, capsys, name, kind):
    """A corrupt record of a finished case: resuming runs that case again (a corrupt
    summary.json) or keeps it (a corrupt run.json beside an intact summary); no traceback,
    and the report then reads the folder."""
    case = _first_case(earlier / "sw")
    _corrupt(case / name, CORRUPTIONS[kind])
    code, err = call(["sweep", "sweep.yaml", "-o", "sw", "--jobs", "1"], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert (case / "summary.json").read_text().startswith("{")
    code, err = call(["report", "sw", "-o", "out"], capsys)
    assert code == 0, err
    assert (earlier / "sentinel.txt").read_text() == SENTINEL


@pytest.mark.parametrize("target", ["run", "sw"])
def test_foreign_folder_with_corrupt_marker(earlier, capsys, target):
    """A folder whose run.json/sweep.json is corrupt is not recognisably lisse's: refused
    (rather than replaced), its files kept."""
    marker = "run.json" if target == "run" else "sweep.json"
    _corrupt(earlier / target / marker, TRUNCATE)
    (earlier / target / "keep.txt").write_text(SENTINEL)
    command = (["run", "case.yaml"] if target == "run"
               else ["sweep", "sweep.yaml", "--jobs", "1"])
    code, err = call([*command, "-o", target], capsys)
    clean(code, err, 2, "not written by lisse", earlier / "sentinel.txt")
    assert (earlier / target / "keep.txt").read_text() == SENTINEL


# --- solver failures: exit code 1, one line -----------------------------------------------

STIFF = ["--set", "interface.kinetics=linear", "--set", "counter_electrode.kinetics=linear",
         "--set", "interface.resistance_ohm_cm2=1e-3",
         "--set", "counter_electrode.resistance_ohm_cm2=1e-3",
         "--set", "numerics.newton_atol=1e-30", "--set", "geometry.mesh.edge_size_um=0.01"]


@pytest.mark.parametrize(("extra", "words"), [
    (["--set", "numerics.newton_rtol=1e-14", *STIFF],
     "numerics.newton_rtol 1e-14 cannot be reached in double precision for this problem"),
    (["--set", "numerics.newton_max_iterations=1",
      "--set", "protocol.current_density_mA_cm2=500"],
     "Newton solve of the current distribution did not converge after 1 iterations"),
])
def test_solver_failure(work, capsys, extra, words):
    sentinel = _setup(work, {})
    code, err = call(["run", "case.yaml", "-o", "out", *extra], capsys)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lisse: error: ") and words in lines[0], err
    assert sentinel.read_text() == SENTINEL


# --- subprocesses: no hang, and mpirun -n 2 ----------------------------------------------


def _proc_clean(proc, expected: int, words: str, sentinel: Path) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout
    clean(proc.returncode, proc.stderr, expected, words, sentinel)


def test_size_guard_no_hang(work):
    """The ~7e8-cell geometry is refused in seconds by the installed command (it hung)."""
    sentinel = _setup(work, {})
    args = ["run", "case.yaml", "-o", "out", *_set("geometry.width_um", "2000"),
            *_set("geometry.electrolyte_thickness_um", "1000"),
            *_set("geometry.mesh.size_um", "0.05"),
            *_set("geometry.mesh.interface_size_um", "0.05"),
            *_set("geometry.mesh.edge_size_um", "0.05")]
    _proc_clean(run_lisse(args, timeout=60, cwd=work), 2, "cells requested", sentinel)


MPI_CASES = [
    ("o-file", ["run", "case.yaml", "-o", "sentinel.txt"], {}, 2, "sentinel.txt"),
    ("alias-bomb", ["validate", "x.yaml"], {"x.yaml": BOMB}, 2, "anchor"),
    ("size-guard", ["mesh", "case.yaml", "-o", "out", *_set("geometry.mesh.size_um", "0.01")],
     {}, 2, "cells requested"),
    ("sweep-jobs", ["sweep", "sweep.yaml", "-o", "out", "--ranks-per-case", "0"], {}, 2,
     "--ranks-per-case"),
    ("ccd-start", ["ccd", "case.yaml", "-o", "out",
                   *_set("evolution.ccd.start_mA_cm2", "200")], {}, 2, "start_mA_cm2"),
    ("report-corrupt", ["report", "run", "-o", "out"], {"run/summary.json": "{\"a\": "}, 2,
     "corrupt run summary"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "files", "expected", "words"),
                         [pytest.param(*row[1:], id=row[0]) for row in MPI_CASES])
def test_hostile_mpi(work, args, files, expected, words):
    """Under mpirun -n 2: the same single line (rank 0 only), no deadlock."""
    sentinel = _setup(work, files)
    _proc_clean(run_lisse(args, n=2, timeout=120, cwd=work), expected, words, sentinel)


# --- property-based fuzzing of the config schema -----------------------------------------

def _leaves(node, path=()):
    """Dotted paths of the scalar values of a nested mapping/list."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _leaves(value, (*path, k))
    else:
        yield path


PATHS = list(_leaves(DEMO))
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.text(max_size=20),
    st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-300, 1e300, math.nan, math.inf, -math.inf, "", "nan", "1e999"]),
    st.lists(st.floats(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                       max_size=2),
)


def _mutate(data: dict, path: tuple, value, delete: bool) -> dict:
    data = copy.deepcopy(data)
    node = data
    for part in path[:-1]:
        node = node[part]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@settings(max_examples=int(os.environ.get("LISSE_FUZZ_EXAMPLES", 300)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@example(mutations=[(("geometry", "mesh", "size_um"), 1e-300, False)])  # found: overflow
@example(mutations=[(("geometry", "mesh", "edge_size_um"), 5e-324, False)])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), HOSTILE, st.booleans()),
                          min_size=1, max_size=3))
def test_fuzz_schema(mutations):
    """Random mutations of configs/demo.yaml's values (wrong types, extremes, NaN, huge and
    negative numbers, missing keys) either validate or raise a one-line ConfigError."""
    data = DEMO
    for path, value, delete in mutations:
        try:
            data = _mutate(data, path, value, delete)
        except (KeyError, IndexError, TypeError):  # an earlier mutation removed the parent
            continue
    try:
        validate_case(data)
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message


def test_demo_still_valid():
    """The fuzzing starts from a valid case."""
    assert load_case(ROOT / "configs" / "demo.yaml").geometry.mesh.max_cells == 5_000_000


# --- the categories and their counts in docs/reliability.md -------------------------------

REPLAYED_CATEGORY = "the same inputs through run, mesh and ccd (they stop as early)"
OTHER_TESTS = {  # the tests beside the matrix, by category
    "test_report_corrupt": "truncated and corrupt earlier outputs",
    "test_report_run_incomplete": "truncated and corrupt earlier outputs",
    "test_report_sweep_timeseries_corrupt": "truncated and corrupt earlier outputs",
    "test_sweep_manifest_incomplete": "truncated and corrupt earlier outputs",
    "test_sweep_resume_reruns_corrupt_case": "truncated and corrupt earlier outputs",
    "test_foreign_folder_with_corrupt_marker": "truncated and corrupt earlier outputs",
    "test_solver_failure": "solver failures (exit code 1)",
    "test_size_guard_no_hang": "the size guard in a subprocess with a timeout (no hang)",
    "test_hostile_mpi": "`mpirun -n 2` variants",
    "test_fuzz_schema": "hypothesis fuzzing of the schema (one test of "
                        "`LISSE_FUZZ_EXAMPLES` examples, default 300)",
}
META_TESTS = {"test_hostile_input", "test_matrix_size", "test_demo_still_valid",
              "test_categories_documented"}
TABLE_BEGIN = ("<!-- hostile matrix: generated by tests/integration/test_hostile_inputs.py "
               "(LISSE_WRITE_DOCS=1) -->")
TABLE_END = "<!-- end of the hostile matrix table -->"


def case_categories() -> dict[str, str]:
    """The category of each row of CASES: the ``# --- title ---`` comment above its entry in
    the CASES literal (a starred comprehension gives its rows its own section), or the
    replayed category for the rows appended after it."""
    import ast
    import re

    source = Path(__file__).read_text()
    titles = [(n, m.group(1)) for n, line in enumerate(source.splitlines(), start=1)
              if (m := re.match(r"    # --- (.*) ---$", line))]
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", None) == "CASES")

    def section(lineno: int) -> str:
        return [t for n, t in titles if n < lineno][-1]

    elements = [(e.elts[0].value if isinstance(e, ast.Tuple) else None, section(e.lineno))
                for e in node.value.elts]
    found, i = {}, 0
    for row in (c[0] for c in CASES):
        while i < len(elements):
            name, title = elements[i]
            if name == row:
                found[row], i = title, i + 1
                break
            if name is None and not (i + 1 < len(elements) and elements[i + 1][0] == row):
                found[row] = title  # a row of the starred comprehension
                break
            assert name is None, f"CASES row {row} not found in the source"
            i += 1
        else:
            found[row] = REPLAYED_CATEGORY
    return found


def _count(test) -> int:
    count = 1
    for mark in getattr(test, "pytestmark", []):
        if mark.name == "parametrize":
            count *= len(mark.args[1])
    return count


def _slow(test) -> bool:
    return any(mark.name == "slow" for mark in getattr(test, "pytestmark", []))


def categories_table() -> str:
    """The Markdown table of the categories: tests per category and the marker they run
    under (``make test-fast`` skips the slow ones; ``make test`` runs all)."""
    from collections import Counter

    rows = Counter(case_categories().values())
    table = [(title, n, "fast") for title, n in rows.items()]
    module = globals()
    tests = sorted(k for k in module if k.startswith("test_") and callable(module[k]))
    assert set(tests) <= set(OTHER_TESTS) | META_TESTS, "a new test needs a category here"
    extra: dict[tuple[str, str], int] = {}
    for name, title in OTHER_TESTS.items():
        key = (title, "slow" if _slow(module[name]) else "fast")
        extra[key] = extra.get(key, 0) + _count(module[name])
    table += [(title, n, marker) for (title, marker), n in extra.items()]
    lines = [TABLE_BEGIN, "", "| category | tests | marker |", "| --- | ---: | --- |"]
    lines += [f"| {title} | {n} | {marker} |" for title, n, marker in table]
    total = sum(n for _, n, _ in table)
    slow = sum(n for _, n, m in table if m == "slow")
    lines += [f"| **total** | **{total}** ({len(CASES)} in the matrix `CASES`) | "
              f"{slow} slow |", "", TABLE_END]
    return "\n".join(lines)


def test_categories_documented():
    """docs/reliability.md lists the categories with their counts as generated here
    (rewritten with LISSE_WRITE_DOCS=1, compared otherwise: the list cannot drift)."""
    path = ROOT / "docs" / "reliability.md"
    text = path.read_text()
    begin, end = text.index(TABLE_BEGIN), text.index(TABLE_END) + len(TABLE_END)
    table = categories_table()
    if os.environ.get("LISSE_WRITE_DOCS") == "1":
        path.write_text(text[:begin] + table + text[end:])
    else:
        assert text[begin:end] == table, ("docs/reliability.md: the hostile-matrix table is "
                                          "out of date; run this test with LISSE_WRITE_DOCS=1")
