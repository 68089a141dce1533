"""The release artefacts: what `python -m build` puts in the sdist and the wheel, `twine check`, and a
fresh virtual environment that installs the wheel without node and runs the getting-started notebook.

Slow (a build in an isolated environment, then a virtual environment filled from the package index):
about two minutes.  The archives are built once per module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

import pytest

import somnium
from tests.support.environment import REPO_ROOT

pytestmark = pytest.mark.slow

DIST_NAME = "somnium_som"
BUNDLES = [
    f"{stem}.{ext}" for stem in ("map_view", "component_planes", "training_monitor") for ext in ("js", "css")
]
#: What the sdist may hold at its top level (pyproject's `only-include`, plus what the backend adds).
SDIST_TOP = {
    "somnium",
    "widget_js",
    "tests",
    "docs",
    "notebooks",
    "benchmarks",
    "README.md",
    "CHANGELOG.md",
    "CONTRIBUTING.md",
    "LICENSE",
    "pyproject.toml",
    "PKG-INFO",
    ".gitignore",
}
#: Path parts that must never ship: the developer's tree, build output, caches and test artefacts.
FORBIDDEN_PARTS = {
    ".venv",
    "node_modules",
    ".ci",
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "test-artifacts",
    "_build",
    "_generated",
    "dist",
}


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """An sdist and a wheel built from this tree (the wheel from the sdist, as `python -m build` does)."""
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    print(f"python -m build: {time.monotonic() - start:.1f} s")
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    for path in (sdist, wheel):
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")
    return {"sdist": sdist, "wheel": wheel}


def test_archives_are_named_and_versioned(dist):
    version = somnium.__version__
    assert dist["wheel"].name == f"{DIST_NAME}-{version}-py3-none-any.whl"
    assert dist["sdist"].name == f"{DIST_NAME}-{version}.tar.gz"


def test_wheel_holds_the_package_and_its_bundles_only(dist):
    with zipfile.ZipFile(dist["wheel"]) as zf:
        names = zf.namelist()
        static = {n.rsplit("/", 1)[1]: zf.read(n) for n in names if n.startswith("somnium/static/")}
        metadata = zf.read(f"{DIST_NAME}-{somnium.__version__}.dist-info/METADATA").decode()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"somnium", f"{DIST_NAME}-{somnium.__version__}.dist-info"}
    _assert_no_forbidden(names)
    # The committed bundles ship byte for byte, with their source stamp: no npm step at install.
    for name in [*BUNDLES, "SOURCE_HASH"]:
        assert static.get(name) == (REPO_ROOT / "somnium" / "static" / name).read_bytes(), name
    # Every module of the package ships, and the data files the datasets load.
    for path in (REPO_ROOT / "somnium").rglob("*.py"):
        assert path.relative_to(REPO_ROOT).as_posix() in names
    assert "somnium/datasets/data/penguins.csv" in names
    assert "somnium/datasets/data/flights.csv.gz" in names
    # Metadata a user sees on the index.
    assert "Name: somnium-som" in metadata
    assert "License-Expression: MIT" in metadata
    # Only addresses that exist: the original project's (the project's own come with publication)
    assert "Project-URL: Original project, https://github.com/ivallesp/somnium" in metadata
    assert "somnium-som/somnium" not in metadata
    assert "Classifier: Framework :: Jupyter :: JupyterLab" in metadata
    assert "Provides-Extra: docs" in metadata


def test_sdist_holds_the_sources_and_nothing_of_the_developers_tree(dist):
    with tarfile.open(dist["sdist"]) as tar:
        members = tar.getmembers()
        notebooks = {
            m.name: json.load(tar.extractfile(m)) for m in members if m.isfile() and m.name.endswith(".ipynb")
        }
    root = f"{DIST_NAME}-{somnium.__version__}"
    names = [m.name for m in members]
    assert all(n.startswith(root + "/") for n in names)
    rel = [n[len(root) + 1 :] for n in names]
    assert {r.split("/", 1)[0] for r in rel} <= SDIST_TOP
    _assert_no_forbidden(rel)
    assert not [m.name for m in members if m.issym() or m.islnk()], "links in the sdist"
    for name in [*BUNDLES, "SOURCE_HASH"]:
        assert f"somnium/static/{name}" in rel
    # The bundles' sources, so the sdist can rebuild them (and the hash test can check them).
    assert {"widget_js/package.json", "widget_js/package-lock.json", "widget_js/build.mjs"} <= set(rel)
    assert "CHANGELOG.md" in rel and "LICENSE" in rel
    # Notebooks ship without outputs: no outputs files, no executed cells.
    assert notebooks, "the notebooks are part of the sdist"
    for name, nb in notebooks.items():
        for cell in nb["cells"]:
            assert not cell.get("outputs"), f"{name} ships with outputs"


def _assert_no_forbidden(names: list[str]) -> None:
    # Model files a notebook run leaves behind are the developer's; tests/data/ holds the committed fixtures.
    bad = [
        n
        for n in names
        if FORBIDDEN_PARTS & set(n.split("/"))
        or n.endswith(".pyc")
        or (n.endswith(".som") and not n.startswith("tests/data/"))
    ]
    assert not bad, f"files from the developer's tree in the archive: {bad[:10]}"


def test_twine_check_passes(dist):
    pytest.importorskip("twine")
    proc = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist["sdist"]), str(dist["wheel"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_fresh_venv_installs_the_wheel_without_node_and_runs_getting_started(dist, tmp_path):
    """A new virtual environment with nothing but the wheel (and what a notebook needs) and no node on
    PATH installs Somnium and runs the getting-started notebook from a directory outside the repository."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    python = bin_dir / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env["PATH"] = str(bin_dir)  # nothing else: no node, no npm, no system jupyter
    env["HOME"] = os.environ.get("HOME", str(tmp_path))
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-config")
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-data")
    env["OMP_NUM_THREADS"] = "2"
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("npm", path=env["PATH"]) is None

    start = time.monotonic()
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-compile",  # byte-compiling scipy, pandas and matplotlib costs more than this test needs
            "--disable-pip-version-check",
            f"{dist['wheel']}[pandas]",
            "ipykernel",
            "nbclient",
            "nbformat",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    print(f"fresh venv install: {time.monotonic() - start:.1f} s")

    workdir = tmp_path / "work"
    workdir.mkdir()
    shutil.copyfile(REPO_ROOT / "notebooks" / "getting_started.ipynb", workdir / "getting_started.ipynb")
    script = f"""
import nbclient, nbformat, somnium, sys
from pathlib import Path
assert Path(somnium.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), somnium.__file__
assert somnium.__version__ == {somnium.__version__!r}
from somnium.widgets._base import STATIC_DIR
assert (STATIC_DIR / "map_view.js").stat().st_size > 1000
nb = nbformat.read("getting_started.ipynb", as_version=4)
nbclient.NotebookClient(nb, kernel_name="python3", timeout=180,
                        resources={{"metadata": {{"path": "."}}}}).execute()
errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
assert not errors, errors
views = [o for c in nb.cells for o in c.get("outputs", [])
         if "application/vnd.jupyter.widget-view+json" in o.get("data", {{}})]
assert views, "the MapView cell produced no widget output"
print("ran", len(nb.cells), "cells")
"""
    start = time.monotonic()
    run = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, env=env, cwd=workdir, timeout=600
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    print(f"getting_started in the fresh venv: {time.monotonic() - start:.1f} s; {run.stdout.strip()}")
