"""Every notebook in notebooks/ runs top to bottom without an error (headless, nbclient)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
#: Per-cell limit; the whole getting-started notebook takes well under a minute.
CELL_TIMEOUT = 120


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_errors(notebook: Path, tmp_path: Path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    # Run a copy in a temp dir so files the notebook writes (saved models...) never land in the repo.
    workdir = tmp_path / "notebooks"
    shutil.copytree(REPO_ROOT / "notebooks", workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    nb = nbformat.read(workdir / notebook.name, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "notebooks must use the python3 kernel"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{notebook.name} is stored with outputs; clear them before committing"
    )

    # The kernel inherits this environment: the repository importable from anywhere, no user IPython
    # profile.
    existing = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT) + (os.pathsep + existing if existing else ""))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))

    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.monotonic()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{notebook.name} failed:\n{exc}", pytrace=False)
    elapsed = time.monotonic() - start

    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
        or (
            out.get("output_type") == "stream"
            and out.get("name") == "stderr"
            and "Traceback" in out.get("text", "")
        )
    ]
    assert not errors, f"{notebook.name} produced error output: {errors}"
    print(f"{notebook.name}: executed in {elapsed:.1f} s")
