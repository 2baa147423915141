"""lisse never destroys what it did not write, beside the target either: a folder named like
its staging folder (``.NAME.partial``) or old copy (``.NAME.old``) that lisse did not write
is refused with one line and kept, while a staging folder lisse left (a killed run: it holds
the ``.lisse-stage`` marker, or a checkpoint's trial log) is replaced; the new outputs of
checkpointed runs (``trials.json``, ``points.json``, ``checkpoint.npz`` and their temporary
files) live only inside lisse's staging folder (solver/io/runfolder.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lisse.solver.cli import main
from lisse.solver.io.runfolder import STAGE_MARKER
from tests.helpers import TINY

SENTINEL = "not lisse's: keep me\n"


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(TINY))
    return tmp_path


@pytest.mark.parametrize("name", [".out.partial", ".out.old"])
def test_a_foreign_folder_with_a_staging_name_is_kept(work, capsys, name):
    (work / name).mkdir()
    (work / name / "sentinel.txt").write_text(SENTINEL)
    code = main(["run", "case.yaml", "-o", "out"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lisse: error: output folder out: "), err
    assert f"{name} exists and was not written by lisse" in lines[0]
    assert (work / name / "sentinel.txt").read_text() == SENTINEL
    assert not (work / "out").exists()


def test_a_staging_folder_lisse_left_is_replaced(work, capsys):
    stage = work / ".out.partial"
    stage.mkdir()
    (stage / STAGE_MARKER).touch()
    (stage / "timeseries.csv").write_text("partial\n")  # as a run killed by SIGKILL leaves
    assert main(["run", "case.yaml", "-o", "out"]) == 0, capsys.readouterr().err
    assert (work / "out" / "summary.json").is_file()
    assert not (work / "out" / STAGE_MARKER).exists()
    assert not stage.exists()
