"""``--screenshot`` and ``--panels-json`` leave no temporary folder behind."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "coin_beta.py"


@pytest.mark.parametrize("options", [["--screenshot", "shot.png"], ["--at", "3", "--panels-json", "panels.json"]])
def test_the_app_leaves_no_temporary_folder(tmp_path, options):
    temporary = tmp_path / "tmp"  # the app's own temporary folder, so that others' do not count
    temporary.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run([sys.executable, str(ROOT / "main.py"), str(EXAMPLE), *options], check=True, timeout=300, cwd=out,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(temporary)})
    assert (out / options[-1]).stat().st_size > 0
    assert list(temporary.iterdir()) == []
