"""Run the JavaScript unit tests (node --test, widget_js/tests/) from pytest.

Outside CI a missing node or an uninstalled widget_js/node_modules skips this
test with the reason; with CI=true it fails (see tests/support/environment.py).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.environment import require

WIDGET_JS = Path(__file__).resolve().parent.parent / "widget_js"


def test_javascript_unit_tests_pass():
    npm = shutil.which("npm")
    require(npm is not None, "node/npm not installed")
    require((WIDGET_JS / "node_modules").is_dir(), "widget_js/node_modules missing (cd widget_js && npm ci)")
    result = subprocess.run(
        [npm, "test", "--silent"], cwd=WIDGET_JS, capture_output=True, text=True, timeout=300
    )
    summary = "\n".join(line for line in result.stdout.splitlines() if line.startswith("# "))
    assert result.returncode == 0, f"npm test failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert "# fail 0" in summary, summary
