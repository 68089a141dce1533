"""What the test machine has: CI mode, Debian's Chromium, and the skip-or-fail rule for real components.

Browser tests use Debian's Chromium driven by Playwright (never a downloaded browser).  Outside CI a
missing component skips a test with the reason; with ``CI=true`` it fails it, so CI cannot pass without
running the real thing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("SOMNIUM_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def require(condition: bool, reason: str) -> None:
    """Skip a test outside CI when a real component is missing; fail it in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run, not skip)")
    pytest.skip(reason)
