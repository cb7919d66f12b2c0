"""Each benchmark script runs in its quick mode and ends with its ratio line.

These check that the scripts work, never how fast anything is. They take about two minutes
together, so they are deselected by default: run them with ``pytest -m bench``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCRIPTS = ["listening", "run_start", "answering", "scale", "insights"]
TIME_LIMIT = 240


@pytest.mark.bench
@pytest.mark.parametrize("name", SCRIPTS)
def test_the_script_runs_and_ends_with_its_ratio_line(name: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = completed.stdout.strip().splitlines()
    assert lines, completed.stderr[-2000:]
    assert lines[-1].startswith("ratio: "), lines[-1]
