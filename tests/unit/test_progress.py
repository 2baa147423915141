"""The one progress display (``lisse.solver.io.progress``): rich bars on a terminal (a
pseudo-terminal here), plain lines in a log; nested tasks share one display; rank 0 only;
``lisse run`` on a pseudo-terminal draws bars, in a pipe no terminal control codes (slow)."""

from __future__ import annotations

import io
import os
import pty
import re

import pytest

from lisse.solver.io.progress import Progress, _Display

ESC = "\x1b["


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def test_terminal_gets_rich_bars_and_nested_tasks_share_them():
    leader, follower = pty.openpty()
    stream = os.fdopen(follower, "w", encoding="utf-8")
    os.set_blocking(leader, False)
    sweep = Progress("sweep", total=3, stream=stream, refresh=0.01)
    assert sweep.live, "a pseudo-terminal is a terminal"
    steps = Progress("evolution", total=2.0, stream=stream)  # nested: the same display
    assert steps.live and _Display.current.tasks == 2
    steps.update(1.0, t_h="1")
    sweep.log("case 0 done")
    steps.close()
    sweep.advance()
    sweep.close()
    assert _Display.current is None  # the display stopped with its last task
    stream.flush()
    text = _read_all(leader)
    stream.close()
    os.close(leader)
    assert ESC in text  # drawn with terminal control codes
    assert "sweep" in text and "evolution" in text
    assert "case 0 done" in text
    assert "━" in text  # a rich bar


def test_forced_modes_and_log_lines():
    bars = io.StringIO()
    live = Progress("ccd", total=4, stream=bars, live=True)
    live.status(trial="0.5 mA/cm²")
    live.log("  0.5 mA/cm²: survived")
    live.close()
    assert ESC in bars.getvalue() and "0.5 mA/cm²: survived" in bars.getvalue()

    log = io.StringIO()
    plain = Progress("ccd", total=4, stream=log, live=False, log_interval=0.0)
    plain.status(trial="0.5 mA/cm²")
    plain.log("  0.5 mA/cm²: survived")
    plain.advance()
    plain.close()
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("ccd  0/4  ") and lines[0].endswith("trial 0.5 mA/cm²")
    assert lines[1] == "ccd:   0.5 mA/cm²: survived"
    assert re.fullmatch(r"ccd  1/4  \d+ s  trial 0\.5 mA/cm²", lines[2])
    assert ESC not in log.getvalue() and "\r" not in log.getvalue()


def test_plain_log_is_not_flooded():
    """Items without a message: the first, then at most one line per log_interval, and the
    last (61 impedance frequencies do not write 61 lines)."""
    log = io.StringIO()
    progress = Progress("eis frequencies", total=61, stream=log, live=False)
    for _ in range(61):
        progress.advance()
    progress.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("eis frequencies  1/61") and lines[1].startswith(
        "eis frequencies  61/61")


def test_a_second_stream_falls_back_to_plain_lines():
    first, second = io.StringIO(), io.StringIO()
    with Progress("a", stream=first, live=True) as a:
        b = Progress("b", total=1, stream=second, live=True)
        assert a.live and not b.live  # one live display at a time
        b.advance(message="done")
        b.close()
    assert second.getvalue() == "b: done\n"


@pytest.mark.slow
def test_lisse_run_draws_bars_on_a_terminal_and_plain_text_in_a_pipe(tmp_path):
    """The real command: on a pseudo-terminal the meshing and solve tasks are drawn with
    rich; with stderr in a pipe (a batch log) no terminal control code is written."""
    import subprocess

    import yaml

    from tests.helpers import BIN, TINY

    case = tmp_path / "tiny.yaml"
    case.write_text(yaml.safe_dump(TINY))
    env = {**os.environ, "LISSE_CACHE_DIR": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    leader, follower = pty.openpty()
    proc = subprocess.run([str(BIN / "lisse"), "run", str(case), "-o", str(tmp_path / "a")],
                          stdout=follower, stderr=follower, env=env, timeout=300)
    os.close(follower)
    text = _read_all(leader)
    os.close(leader)
    assert proc.returncode == 0, text
    assert ESC in text and "meshing" in text and "solve" in text
    piped = subprocess.run([str(BIN / "lisse"), "run", str(case), "-o", str(tmp_path / "b")],
                           capture_output=True, text=True, env=env, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert ESC not in piped.stdout + piped.stderr
    assert "cell voltage" in piped.stdout


def test_position_in_hours_reads_in_fixed_point():
    """A time-dependent run's position: fixed point at the total's precision (the line read
    ``evolution [h]  1.56566e-05/0.0966667``); item counts stay integers."""
    log = io.StringIO()
    hours = Progress("evolution [h]", total=0.0966667, stream=log, live=False, log_interval=0)
    hours.update(1.56566e-05, t="0.05636 s")
    hours.update(0.05)
    assert log.getvalue().splitlines()[0].startswith("evolution [h]  0.0000/0.0967  ")
    assert log.getvalue().splitlines()[1].startswith("evolution [h]  0.0500/0.0967  ")
    assert Progress("x", total=120.0, live=False).line().startswith("x  0/120  ")
    long = Progress("x", total=12.0, live=False)
    long.update(1.5)
    assert long.line().startswith("x  1.5/12.0  ")
