"""README.md and docs/*.md point only at files that exist: their relative Markdown links and
the repository paths they quote (`tests/...py`, `configs/...yaml`, `scripts/...`), so that a
command copied from the docs finds its file (docs/install.md named tests/test_cli.py, which
moved to tests/integration/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# a path from the repository root (tests/…, configs/…, scripts/… with a file suffix), alone
# or in a command
QUOTED = re.compile(r"(?<![\w/.])((?:tests|configs|scripts)/[A-Za-z0-9_/.*-]*[A-Za-z0-9_*]"
                    r"\.(?:py|yaml|csv|sh|def|slurm|json|toml))\b")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_and_quoted_paths_exist(page):
    text = page.read_text()
    missing = []
    for target in LINK.findall(text):
        target = target.split("#")[0]
        if target and not target.startswith(("http://", "https://", "mailto:")):
            if not (page.parent / target).exists():
                missing.append(target)
    missing += [p for p in QUOTED.findall(text) if "*" not in p and not (ROOT / p).exists()]
    assert not missing, f"{page.relative_to(ROOT)}: no such file {missing}"
