"""Hardened input: the one YAML loader (duplicate keys, anchors and aliases, several documents,
binary, non-UTF-8 and oversized files), strict numbers (a boolean is not a number, NaN and inf
are refused, integers where integers are meant), did-you-mean suggestions, and the bounded,
self-repairing mesh cache."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest

from lisse.meshes import cache as mesh_cache
from lisse.meshes.geometry import CellGeometry, MeshSizes
from lisse.solver.config.schema import apply_overrides, load_case, validate_case
from lisse.solver.config.yaml_loader import load_mapping
from lisse.solver.errors import ConfigError, UserError
from lisse.solver.studies.patch import load_study
from lisse.solver.studies.sweep_file import load_sweep
from tests.helpers import run_lisse

CASE = """\
name: hard
geometry:
  width_um: 50
  lithium_thickness_um: 10
  electrolyte_thickness_um: 20
protocol:
  current_density_mA_cm2: 1
"""


def case(**sections: dict) -> dict:
    """The small valid case as a dict, with ``sections`` merged in."""
    data = {
        "name": "hard",
        "geometry": {"width_um": 50, "lithium_thickness_um": 10, "electrolyte_thickness_um": 20},
        "protocol": {"current_density_mA_cm2": 1},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


def message(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_case(data)
    text = str(info.value)
    assert "\n" not in text
    return text


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


# --- the YAML loader ------------------------------------------------------------------------


def test_valid_case_loads(write):
    assert load_case(write("ok.yaml", CASE)).geometry.width_um == 50


def test_duplicate_key_in_case_file(write):
    path = write("case.yaml", CASE.replace("  electrolyte", "  width_um: 60\n  electrolyte"))
    with pytest.raises(ConfigError, match=r"case\.yaml: line 5: duplicate key 'width_um' in "
                                          r"geometry$"):
        load_case(path)


def test_duplicate_top_level_key(write):
    with pytest.raises(ConfigError, match="line 8: duplicate key 'name' at the top level"):
        load_case(write("case.yaml", CASE + "name: again\n"))


def test_duplicate_key_in_a_list_entry(write):
    text = CASE + ("microstructure:\n  pores:\n"
                   "    - {center_um: [1, 2], radius_um: 1, radius_um: 2}\n")
    with pytest.raises(ConfigError, match="line 10: duplicate key 'radius_um' in "
                                          "microstructure.pores.0"):
        load_case(write("case.yaml", text))


def test_duplicate_key_in_sweep_file(write):
    write("base.yaml", CASE)
    sweep = write("sweep.yaml", "base: base.yaml\ngrid:\n  geometry.width_um: [40, 50]\n"
                                "  geometry.width_um: [60]\n")
    with pytest.raises(ConfigError, match=r"sweep\.yaml: line 4: duplicate key "
                                          r"'geometry.width_um' in grid"):
        load_sweep(sweep)


def test_duplicate_key_in_the_base_of_a_sweep(write):
    write("base.yaml", CASE + "seed: 1\nseed: 2\n")
    sweep = write("sweep.yaml", "base: base.yaml\ngrid:\n  geometry.width_um: [40, 50]\n")
    with pytest.raises(ConfigError, match=r"base\.yaml: line 9: duplicate key 'seed'"):
        load_sweep(sweep)


def test_duplicate_key_in_study_file(write):
    study = write("study.yaml", "cell:\n  width_ratio: 10\n  width_ratio: 20\n")
    with pytest.raises(ConfigError, match=r"study\.yaml: line 3: duplicate key 'width_ratio' "
                                          r"in cell"):
        load_study(study)


def test_anchor_and_alias_refused(write):
    text = CASE.replace("  width_um: 50", "  width_um: &w 50") + "seed: *w\n"
    with pytest.raises(ConfigError, match=r"case\.yaml: line 3: YAML anchor '&w' is not "
                                          "supported"):
        load_case(write("case.yaml", text))
    with pytest.raises(ConfigError, match="line 8: YAML alias '[*]w' is not supported"):
        load_mapping(write("alias.yaml", CASE + "seed: *w\n"))
    with pytest.raises(ConfigError, match="alias '[*]x' is not supported"):
        apply_overrides({}, ["seed=*x"])


def test_merge_key_refused(write):
    with pytest.raises(ConfigError, match="line 1: YAML merge keys"):
        load_mapping(write("merge.yaml", "a: {<<: {b: 1}}\n"))


def test_alias_bomb_fails_fast_and_cleanly(write):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]"
              for p, c in zip("abcdefgh", "bcdefghi", strict=True)]  # 9**9 leaves expanded
    path = write("bomb.yaml", "\n".join(lines) + "\n")
    start = time.perf_counter()
    run = run_lisse(["validate", str(path)], timeout=60)
    assert time.perf_counter() - start < 60
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"lisse: error: {path}: line 1: YAML anchor '&a' is not supported: write the values out"
    ]


def test_several_documents(write):
    with pytest.raises(ConfigError, match="line 8: a second YAML document"):
        load_case(write("case.yaml", CASE + "---\nname: other\n"))


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"\x00\x01\x02\x03binary", r"binary content \(a NUL byte\): not a YAML case file"),
        (b"name: caf\xe9\n", r"line 1: not UTF-8 text \(byte 0xe9\)"),
        (b"", "the case file is empty"),
        (b"- 1\n- 2\n", "the top level must be a mapping of sections"),
    ],
    ids=["binary", "latin-1", "empty", "list"],
)
def test_unreadable_content(write, content, error):
    with pytest.raises(UserError, match=error):
        load_case(write("case.yaml", content))


def test_missing_folder_and_oversized_files(write, tmp_path):
    with pytest.raises(UserError, match="no such case file"):
        load_case(tmp_path / "missing.yaml")
    with pytest.raises(UserError, match="is a folder, not a case file"):
        load_case(tmp_path)
    big = write("big.yaml", CASE + "# " + "x" * 1_000_000 + "\n")
    with pytest.raises(UserError, match=r"big\.yaml: larger than 1 MB"):
        load_case(big)
    with pytest.raises(UserError, match="no such study file"):
        load_study(tmp_path / "missing.yaml")


# --- strict numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"geometry": {"width_um": True}}, "geometry.width_um: must be a number (got True)"),
        ({"temperature_C": False}, "temperature_C: must be a number (got False)"),
        ({"interface": {"alpha_a": True}}, "interface.alpha_a: must be a number (got True)"),
        ({"geometry": {"voids": [{"center_um": True, "radius_um": 1, "height_um": 1}]}},
         "geometry.voids.0.center_um: must be a number"),
        ({"evolution": {"failure": {"max_voltage_V": True}}},
         "evolution.failure.max_voltage_V: must be a number (got True)"),
        ({"microstructure": {"cracks": [{"start_um": 3, "length_um": [True], "opening_um": 1}]}},
         "microstructure.cracks.0.length_um: must be a number or a list of numbers"),
        ({"materials": {"electrolyte": {"ionic_conductivity_S_cm": True}}},
         "materials.electrolyte.ionic_conductivity_S_cm: must be a number (got True)"),
    ],
    ids=["width", "temperature", "alpha", "void-centre", "evolution", "crack", "material"],
)
def test_bool_is_not_a_number(sections, expected):
    assert message(case(**sections)).startswith(expected)


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"geometry": {"width_um": float("nan")}}, "geometry.width_um: must be finite (got nan)"),
        ({"geometry": {"width_um": float("inf")}}, "geometry.width_um: must be finite (got inf)"),
        ({"protocol": {"current_density_mA_cm2": float("-inf")}},
         "protocol.current_density_mA_cm2: must be finite (got -inf)"),
        ({"geometry": {"width_um": "nan"}}, "geometry.width_um: must be finite (got 'nan')"),
        ({"microstructure": {"pores": [{"center_um": [3, float("inf")], "radius_um": 1}]}},
         "microstructure.pores.0.center_um: must be finite"),
        ({"evolution": {"interface_times_h": [1, float("nan")]}},
         "evolution.interface_times_h.1: must be finite"),
        ({"materials": {"electrode": {"youngs_modulus_GPa": float("inf")}}},
         "materials.electrode.youngs_modulus_GPa: must be finite (got inf)"),
    ],
    ids=["nan", "inf", "-inf", "nan-string", "pore", "times", "material"],
)
def test_nan_and_inf_refused(sections, expected):
    assert message(case(**sections)).startswith(expected)


def test_yaml_nan_and_inf_refused(write):
    for value in (".nan", ".inf", "-.inf"):
        with pytest.raises(ConfigError, match="geometry.width_um: must be finite"):
            load_case(write("case.yaml", CASE.replace("width_um: 50", f"width_um: {value}")))


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"numerics": {"newton_max_iterations": 2.5}},
         "numerics.newton_max_iterations: must be an integer (got 2.5)"),
        ({"seed": 1.5}, "seed: must be an integer (got 1.5)"),
        ({"seed": True}, "seed: must be an integer (got True)"),
        ({"evolution": {"cycles": 2.5}}, "evolution.cycles: must be an integer (got 2.5)"),
        ({"mechanics": {"time_steps": "2.5"}}, "mechanics.time_steps: must be an integer"),
        ({"mechanics": {"element_degree": True}}, "mechanics.element_degree: must be an integer"),
    ],
    ids=["iterations", "seed", "seed-bool", "cycles", "string", "degree-bool"],
)
def test_integers(sections, expected):
    assert message(case(**sections)).startswith(expected)


def test_numeric_strings_and_whole_floats_still_accepted():
    c = validate_case(case(geometry={"width_um": "5e1"}, seed=2.0,
                           numerics={"newton_rtol": "1e-8"}))
    assert (c.geometry.width_um, c.seed, c.numerics.newton_rtol) == (50.0, 2, 1e-8)
    assert isinstance(c.seed, int)


# --- did you mean ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"geometry": {"widht_um": 3}},
         "geometry.widht_um: unknown key (did you mean 'width_um'?)"),
        ({"interface": {"kinetcs": "linear"}},
         "interface.kinetcs: unknown key (did you mean 'kinetics'?)"),
        ({"temprature_C": 20}, "temprature_C: unknown key (did you mean 'temperature_C'?)"),
        ({"geometry": {"voids": [{"center_um": 1, "radius_um": 1, "height_um": 1, "shap": "cap"}]}},
         "geometry.voids.0.shap: unknown key (did you mean 'shape'?)"),
        ({"evolution": {"failure": {"max_voltage": 1}}},
         "evolution.failure.max_voltage: unknown key (did you mean 'max_voltage_V'?)"),
        ({"geometry": {"zzz": 1}}, "geometry.zzz: unknown key"),
        ({"interface": {"kinetics": "butler_volmar"}},
         "interface.kinetics: must be one of 'butler_volmer', 'linear' or 'primary' "
         "(got 'butler_volmar'; did you mean 'butler_volmer'?)"),
        ({"geometry": {"dimension": "3D"}}, "(got '3D'; did you mean '3d'?)"),
        ({"materials": {"electrolyte": "LLZ0"}},
         "materials.electrolyte: unknown material 'LLZ0'; known: LLZO, "),
        ({"materials": {"electrolyte": {"ionic_conductivity_Scm": 1}}},
         "materials.electrolyte.ionic_conductivity_Scm: unknown key (did you mean "
         "'ionic_conductivity_S_cm'?)"),
    ],
    ids=["key", "nested", "top", "void", "evolution", "no-match", "literal", "case", "material",
         "material-key"],
)
def test_did_you_mean(sections, expected):
    text = message(case(**sections))
    assert expected in text
    if "no-match" in expected or "zzz" in expected:
        assert "did you mean" not in text
    if "LLZ0" in expected:
        assert text.endswith("did you mean 'LLZO'?")


def test_did_you_mean_in_sweep_and_study_files(write):
    write("base.yaml", CASE)
    sweep = write("sweep.yaml", "base: base.yaml\ngird:\n  geometry.width_um: [40, 50]\n")
    with pytest.raises(ConfigError, match=r"gird: unknown key \(known: .*; did you mean "
                                          r"'grid'\?\)"):
        load_sweep(sweep)
    study = write("study.yaml", "cell:\n  widht_ratio: 10\n")
    with pytest.raises(ConfigError, match=r"cell.widht_ratio: unknown key \(did you mean "
                                          r"'width_ratio'\?\)"):
        load_study(study)


# --- the mesh cache -------------------------------------------------------------------------

UM = 1e-6


def small(width_um: float) -> CellGeometry:
    """A coarse plane cell without voids: meshes in well under a second."""
    return CellGeometry("plane", width=width_um * UM, lithium_thickness=10 * UM,
                        electrolyte_thickness=10 * UM,
                        sizes=MeshSizes(bulk=5 * UM, interface=2.5 * UM, edge=2.5 * UM))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LISSE_CACHE_MAX_MB", raising=False)
    return tmp_path / "cache"


def test_cache_evicts_least_recently_used(cache_dir, monkeypatch, tmp_path):
    a = mesh_cache.mesh_file(small(20))
    b = mesh_cache.mesh_file(small(30))
    now = time.time()
    os.utime(a, (now - 300, now - 300))
    os.utime(b, (now - 200, now - 200))
    assert mesh_cache.mesh_file(small(20)) == a  # a hit: a is now the most recently used
    assert a.stat().st_mtime > b.stat().st_mtime
    size_c = mesh_cache.mesh_file(small(40), tmp_path / "other").stat().st_size
    limit = a.stat().st_size + size_c  # room for a and c, not for b as well
    monkeypatch.setenv("LISSE_CACHE_MAX_MB", str(limit * 1.05 / 1e6))
    c = mesh_cache.mesh_file(small(40))
    assert c.exists() and a.exists() and not b.exists()  # b was the least recently used
    monkeypatch.setenv("LISSE_CACHE_MAX_MB", "0")
    d = mesh_cache.mesh_file(small(50))
    assert sorted(cache_dir.iterdir()) == [d]  # the new entry is never evicted


def test_cache_limit_must_be_a_size(cache_dir, monkeypatch):
    monkeypatch.setenv("LISSE_CACHE_MAX_MB", "lots")
    with pytest.raises(UserError, match="LISSE_CACHE_MAX_MB: must be a size in MB"):
        mesh_cache.mesh_file(small(20))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_cache_entry_is_rebuilt(cache_dir, capfd, damage):
    from mpi4py import MPI

    geom = small(20)
    path = mesh_cache.mesh_file(geom)
    good = path.read_bytes()
    path.write_bytes({"garbage": b"garbage\x00\x01 not a mesh\n",
                      "truncated": good[: len(good) // 2], "empty": b""}[damage])
    capfd.readouterr()
    data = mesh_cache.load_mesh(geom, MPI.COMM_WORLD)
    assert data.mesh.topology.index_map(2).size_global > 0
    assert data.cell_tags is not None and data.facet_tags is not None
    err = capfd.readouterr().err.strip().splitlines()
    assert err == [f"lisse: warning: mesh cache entry {path} was corrupt; rebuilt"]
    assert path.read_bytes() == good
    mesh_cache.load_mesh(geom, MPI.COMM_WORLD)  # now sound: no second warning
    assert "warning" not in capfd.readouterr().err


def test_cache_entry_that_stays_unreadable_is_an_error(cache_dir, monkeypatch):
    from mpi4py import MPI

    def garbage(geom, target):
        Path(target).write_text("garbage\n")

    monkeypatch.setattr(mesh_cache, "write_msh", garbage)
    geom = dataclasses.replace(small(20), width=25 * UM)
    with pytest.raises(Exception, match="Gmsh cannot read the mesh it has just written"):
        mesh_cache.load_mesh(geom, MPI.COMM_WORLD)
