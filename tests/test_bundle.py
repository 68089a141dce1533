"""The committed bundles in somnium/static/ are built from the current widget_js/ sources.

The stamp is recomputed exactly as widget_js/build.mjs computes it: sha256
over "<posix path>\\n<sha256 hex of the file>\\n" for every file under
widget_js/ except node_modules/ and tests/, in sorted path order.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WIDGET_JS = REPO / "widget_js"
STATIC = REPO / "somnium" / "static"
EXCLUDED_DIRECTORIES = {"node_modules", "tests"}
# Every top-level widget_js/*.js file is a view's entry (build.mjs finds them the same way).
BUNDLES = sorted(path.name for path in WIDGET_JS.glob("*.js"))
STALE = "run `npm run build` in widget_js and commit somnium/static/"


def source_files() -> list[str]:
    files = []
    for path in WIDGET_JS.rglob("*"):
        relative = path.relative_to(WIDGET_JS)
        if path.is_file() and not EXCLUDED_DIRECTORIES & set(relative.parts[:-1]):
            files.append(relative.as_posix())
    return sorted(files)


def source_hash() -> str:
    digest = hashlib.sha256()
    for name in source_files():
        file_hash = hashlib.sha256((WIDGET_JS / name).read_bytes()).hexdigest()
        digest.update(f"{name}\n{file_hash}\n".encode())
    return digest.hexdigest()


def test_the_source_hash_stamp_matches_the_sources():
    stamp = STATIC / "SOURCE_HASH"
    assert stamp.exists(), f"somnium/static/SOURCE_HASH is missing: {STALE}"
    assert stamp.read_text().strip() == source_hash(), f"the bundles are stale: {STALE}"


def test_the_stamp_covers_the_view_sources_and_not_the_tests():
    files = source_files()
    assert {"map_view.js", "map_view.css", "build.mjs", "package.json", "package-lock.json"} <= set(files)
    assert any(name.startswith("lib/") for name in files)
    assert not any(name.startswith(("tests/", "node_modules/")) for name in files)


def test_every_view_has_its_entry():
    assert {"map_view.js", "component_planes.js", "training_monitor.js"} <= set(BUNDLES)


@pytest.mark.parametrize("bundle", BUNDLES)
def test_each_bundle_is_a_self_contained_es_module(bundle):
    text = (STATIC / bundle).read_text(encoding="utf-8")
    # anywidget imports the module from a Blob URL: no import may remain.
    assert not re.search(r"^\s*import\s", text, flags=re.MULTILINE), f"{bundle} still imports: {STALE}"
    assert not re.search(r"\bimport\(", text)
    assert re.search(r"^export\s*\{[^}]*\bdefault\b", text, flags=re.MULTILINE) or "export default" in text


@pytest.mark.parametrize("bundle", BUNDLES)
def test_each_bundle_ships_its_stylesheet(bundle):
    assert (STATIC / bundle.replace(".js", ".css")).stat().st_size > 0


def test_the_bundles_are_inside_the_python_package():
    # hatchling ships everything under somnium/, so a wheel needs no npm step.
    for bundle in BUNDLES:
        assert (STATIC / bundle).resolve().is_relative_to((REPO / "somnium").resolve())
