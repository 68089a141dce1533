"""Real notebook servers for end-to-end tests (JupyterLab, Jupyter Notebook 7, marimo), and helpers to drive them.

Follows the browser-testing notes (docs/architecture.md, "Tests"): ``allow_root``, ``127.0.0.1``, a free port, a random
token, every ``JUPYTER_*`` directory isolated in a temp dir, the "Jupyter news" toast switched off, an
absolute ``PYTHONPATH`` (the repository root) for the kernel, readiness on ``/api/status``, and SIGTERM to
the server's process group at teardown.

Not named ``jupyter_server.py`` on purpose: a module of that name would shadow the real
``jupyter_server`` package.  ``tests/conftest.py`` imports :func:`jupyter_lab` so every test module shares
one server per session.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .environment import REPO_ROOT
from .environment import require as _require

#: Seconds to wait for ``/api/status`` to answer 200 (typically 3-4 s).
SERVER_START_TIMEOUT = 60.0
#: Seconds to wait for a notebook's kernel to be connected and idle.
KERNEL_READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab or Notebook 7 server (what :func:`jupyter_lab` and :func:`jupyter_notebook7` yield)."""

    base_url: str
    token: str
    root_dir: Path
    process: subprocess.Popen = field(repr=False)
    log_path: Path = field(repr=False)
    start_seconds: float = 0.0
    app: str = "jupyterlab"  # or "notebook" (Jupyter Notebook 7)

    # Unpacks as ``base_url, token, root_dir = jupyter_lab``.
    def __iter__(self):
        return iter((self.base_url, self.token, self.root_dir))

    def notebook_url(self, relpath: str) -> str:
        if self.app == "notebook":
            return f"{self.base_url}/notebooks/{relpath}?token={self.token}"
        return f"{self.base_url}/lab/tree/{relpath}?reset&token={self.token}"

    def api(self, path: str):
        url = f"{self.base_url}/api/{path.lstrip('/')}"
        sep = "&" if "?" in url else "?"
        with urllib.request.urlopen(f"{url}{sep}token={self.token}", timeout=5) as resp:
            return json.loads(resp.read().decode())

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def lab_environment(base: Path, pythonpath: bool = True) -> dict[str, str]:
    """Environment for the server (and the kernels it starts): isolated dirs, absolute PYTHONPATH.

    ``pythonpath=False`` leaves the repository off ``PYTHONPATH``: the kernel imports somnium as its
    environment installed it (a venv made by the README's command).
    """
    env = dict(os.environ)
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTERLAB_SETTINGS_DIR": base / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "workspaces",
        "IPYTHONDIR": base / "ipython",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    # No "get notified about Jupyter news?" toast over the outputs.
    notification = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # The kernel's cwd is the notebook's directory, so the repository must be on an absolute path.
    existing = env.get("PYTHONPATH")
    if pythonpath:
        env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + existing if existing else "")
    else:
        env.pop("PYTHONPATH", None)
    env.pop("JUPYTER_PATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    # Keep the kernel's numeric libraries from oversubscribing small CI machines.
    env.setdefault("OMP_NUM_THREADS", "2")
    return env


def start_lab(base: Path, root_dir: Path, app: str = "jupyterlab", python: str | None = None) -> LabServer:
    """Start JupyterLab (``app="jupyterlab"``) or Jupyter Notebook 7 (``app="notebook"``) and wait for it.

    Both are jupyter_server applications with the same options; Notebook 7 is built from JupyterLab's
    components, so the Lab helpers below (``window.jupyterapp``, kernel readiness, outputs) drive it too.
    ``python`` runs the server (and its kernels) from another environment, which then imports somnium
    as installed there (no ``PYTHONPATH``); by default this interpreter, with the repository on it.
    """
    port = free_port()
    token = secrets.token_hex(24)
    env = lab_environment(base, pythonpath=python is None)
    log_path = base / f"{app}.log"
    app_class = {"jupyterlab": "LabApp", "notebook": "JupyterNotebookApp"}[app]
    cmd = [
        python or sys.executable,
        "-m",
        app,
        "--no-browser",
        "--ServerApp.allow_root=True",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--{app_class}.expose_app_in_browser=True",
    ]
    if app == "jupyterlab":
        cmd.append("--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    base_url = f"http://127.0.0.1:{port}"
    server = _start_process(cmd, root_dir, env, log_path, f"{base_url}/api/status?token={token}", app)
    return LabServer(base_url, token, root_dir, server.process, log_path, server.seconds, app)


@dataclass
class _Started:
    process: subprocess.Popen
    seconds: float


def _start_process(cmd, cwd, env, log_path: Path, ready_url: str, name: str) -> _Started:
    """Start a server in its own process group, logging to ``log_path``; wait until ``ready_url`` answers 200."""
    t0 = time.monotonic()
    log = open(log_path, "wb")  # noqa: SIM115 - closed by the fixture's teardown via the process
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()

    def tail() -> str:
        return log_path.read_text(errors="replace")[-4000:] if log_path.exists() else ""

    deadline = t0 + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail()}")
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as resp:
                if resp.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_process_group(proc)
            raise RuntimeError(f"{name} did not answer in {SERVER_START_TIMEOUT} s:\n{tail()}")
        time.sleep(0.2)
    return _Started(proc, time.monotonic() - t0)


def stop_lab(server: LabServer, timeout: float = 10.0) -> None:
    """SIGTERM the server's process group (server and kernels); SIGKILL if it lingers."""
    stop_process_group(server.process, timeout)


def stop_process_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM a server's process group (the server and its kernels); SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    # Kernels may outlive the server for a moment; make sure nothing of the group is left.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


@pytest.fixture(scope="session")
def jupyter_lab():
    """A JupyterLab server for the session; yields a :class:`LabServer` (unpacks to base_url, token, root_dir)."""
    import importlib.util

    _require(
        importlib.util.find_spec("jupyterlab") is not None,
        "jupyterlab not installed (pip install -e '.[test]')",
    )
    yield from _serve("jupyterlab")


@pytest.fixture(scope="session")
def jupyter_notebook7():
    """A Jupyter Notebook 7 server for the session (same options and helpers as :func:`jupyter_lab`)."""
    import importlib.util

    _require(
        importlib.util.find_spec("notebook") is not None,
        "notebook (Jupyter Notebook 7) not installed (pip install -e '.[test]')",
    )
    yield from _serve("notebook")


def _serve(app: str):
    base = Path(tempfile.mkdtemp(prefix=f"somnium-{app}-"))
    root_dir = base / "root"
    root_dir.mkdir()
    server = start_lab(base, root_dir, app)
    try:
        yield server
    finally:
        stop_lab(server)
        shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# marimo
# --------------------------------------------------------------------------------------------------


@dataclass
class MarimoServer:
    """A running ``marimo edit`` (or ``marimo run``) server of one notebook."""

    base_url: str
    token: str
    notebook: Path
    process: subprocess.Popen = field(repr=False)
    log_path: Path = field(repr=False)
    start_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"{self.base_url}/?access_token={self.token}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def start_marimo(base: Path, notebook: Path, mode: str = "edit") -> MarimoServer:
    """``marimo edit|run notebook`` on 127.0.0.1 with a random token, its config and caches in ``base``."""
    port = free_port()
    token = secrets.token_hex(24)
    env = lab_environment(base)  # the same isolation and absolute PYTHONPATH as the Jupyter servers
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        path = base / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    log_path = base / "marimo.log"
    cmd = [
        sys.executable,
        "-m",
        "marimo",
        "-q",
        mode,
        str(notebook),
        "--headless",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--token-password={token}",
        "--no-sandbox",
    ]
    if mode == "edit":
        cmd.append("--skip-update-check")
    base_url = f"http://127.0.0.1:{port}"
    started = _start_process(cmd, notebook.parent, env, log_path, f"{base_url}/health", "marimo")
    return MarimoServer(base_url, token, notebook, started.process, log_path, started.seconds)


# --------------------------------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------------------------------


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    """Write a notebook of ``(cell_type, source)`` pairs with the python3 kernelspec (no kernel picker).

    Plain JSON (nbformat 4.5) rather than ``nbformat.write``: its schema validation costs seconds.
    """
    nb_cells = []
    for i, (kind, source) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{i}", "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        nb_cells.append(cell)
    nb = {
        "cells": nb_cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))
    return path


# --------------------------------------------------------------------------------------------------
# Driving JupyterLab with Playwright
# --------------------------------------------------------------------------------------------------

_KERNEL_STATE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const ctx = w && w.sessionContext;
  const kernel = ctx && ctx.session && ctx.session.kernel;
  if (!kernel) return null;
  return {status: kernel.status, connectionStatus: kernel.connectionStatus};
}"""

_KERNEL_READY_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const ctx = w && w.sessionContext;
  const kernel = ctx && ctx.session && ctx.session.kernel;
  return !!kernel && kernel.status === "idle" && kernel.connectionStatus === "connected";
}"""


def open_notebook(page, server: LabServer, relpath: str, timeout: float = 60.0) -> None:
    """Open ``relpath`` (relative to the server's root_dir) in a fresh workspace and wait for its cells."""
    page.goto(server.notebook_url(relpath), wait_until="domcontentloaded", timeout=timeout * 1000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
    page.wait_for_function(
        "() => !!(window.jupyterapp && window.jupyterapp.shell.currentWidget)", timeout=timeout * 1000
    )


def wait_for_kernel_ready(page, timeout: float = KERNEL_READY_TIMEOUT) -> None:
    """Wait until the current notebook's kernel is connected *and* idle.

    The status bar and toolbar show "idle" before the kernel is connected; ask the app instead.
    """
    try:
        page.wait_for_function(_KERNEL_READY_JS, timeout=timeout * 1000, polling=100)
    except Exception as exc:
        state = page.evaluate(_KERNEL_STATE_JS)
        raise AssertionError(f"kernel not ready after {timeout} s (state: {state})") from exc


def execute_command(page, command: str, args: dict | None = None, wait: bool = False) -> None:
    """Run a JupyterLab command; by default don't wait for it (run-all returns only when all cells end)."""
    if wait:
        page.evaluate("([c, a]) => window.jupyterapp.commands.execute(c, a)", [command, args or {}])
    else:
        page.evaluate("([c, a]) => { window.jupyterapp.commands.execute(c, a); }", [command, args or {}])


def run_all_cells(page, wait: bool = False) -> None:
    execute_command(page, "notebook:run-all-cells", wait=wait)


def wait_until_idle(page, timeout: float = 60.0) -> None:
    """Wait until no cell shows a pending execution prompt (``[*]``) and the kernel is idle again."""
    page.wait_for_function(
        """() => {
          const prompts = document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt');
          for (const p of prompts) if (p.textContent.includes('*')) return false;
          const w = window.jupyterapp.shell.currentWidget;
          const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
          return !!k && k.status === 'idle';
        }""",
        timeout=timeout * 1000,
        polling=200,
    )


def wait_for_output(page, selector: str, timeout: float = 60.0, fail_on_error: bool = True):
    """Wait for ``selector`` inside a cell's output area (never the source cells) and return its locator.

    With ``fail_on_error`` an error output (a traceback) appearing first fails at once, with its text.
    """
    page.wait_for_function(
        """([sel, failOnError]) => {
          if (document.querySelector('.jp-OutputArea ' + sel)) return true;
          if (!failOnError) return false;
          return Array.from(document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
            .some(e => /Traceback|Error/.test(e.textContent));
        }""",
        arg=[selector, fail_on_error],
        timeout=timeout * 1000,
        polling=200,
    )
    errors = error_outputs(page) if fail_on_error else []
    if errors:
        raise AssertionError(f"error output while waiting for {selector!r}:\n" + "\n\n".join(errors))
    return page.locator(f".jp-OutputArea {selector}").first


def error_outputs(page) -> list[str]:
    """Texts of the error outputs shown in the notebook (tracebacks on stderr or error mime bundles)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
              .map(e => e.textContent)
              .filter(t => /Traceback|Error/.test(t))"""
    )


def select_cell(page, index: int) -> None:
    """Make cell ``index`` the active cell of the current notebook."""
    page.evaluate(
        "(i) => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = i; }",
        index,
    )


def run_cell(page, index: int) -> None:
    """Run cell ``index`` of the current notebook (without waiting for it to finish)."""
    select_cell(page, index)
    execute_command(page, "notebook:run-cell")


def cell_output_text(page, index: int) -> str:
    return page.evaluate(
        """(i) => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          const cell = nb.widgets[i];
          const out = cell.node.querySelector('.jp-OutputArea');
          return out ? out.textContent : '';
        }""",
        index,
    )


def poll_json(path: Path, predicate=lambda data: True, timeout: float = 30.0):
    """Poll a JSON file written by a notebook until ``predicate(data)`` holds; return the data."""
    deadline = time.monotonic() + timeout
    data, error, reads = None, None, 0
    while True:  # at least one read, however late the first one comes
        reads += 1
        try:
            data, error = json.loads(path.read_text()), None
        except (OSError, ValueError) as exc:
            data, error = None, exc
        if data is not None and predicate(data):
            return data
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    raise AssertionError(
        f"{path.name} never satisfied the condition in {timeout:g} s ({reads} reads); last content: "
        f"{data}" + (f"; last read failed: {type(error).__name__}: {error}" if error is not None else "")
    )


# --------------------------------------------------------------------------------------------------
# Maps in any host (Playwright locators pierce the shadow roots some hosts render widgets in)
# --------------------------------------------------------------------------------------------------


def map_center(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def brush_lattice(page, map_selector: str, coords, x0: float, y0: float, x1: float, y1: float) -> list[int]:
    """Drag a rectangle over the lattice rectangle (x0, y0)-(x1, y1) of the map ``map_selector``.

    ``coords`` are the lattice's node coordinates (``model.lattice_.coordinates``); the client position of
    a lattice point comes from the centres of the first and last cells.  Returns the nodes inside the
    rectangle (the brute-force answer the views must agree with).
    """
    page.locator(map_selector).first.scroll_into_view_if_needed()
    last = len(coords) - 1
    (ax, ay), (bx, by) = (
        map_center(page, f'{map_selector} [data-neuron="0"]'),
        map_center(page, f'{map_selector} [data-neuron="{last}"]'),
    )

    def to_client(x, y):
        return (
            ax + (x - coords[0][0]) * (bx - ax) / (coords[last][0] - coords[0][0]),
            ay + (y - coords[0][1]) * (by - ay) / (coords[last][1] - coords[0][1]),
        )

    page.mouse.move(*to_client(x0, y0))
    page.mouse.down()
    page.mouse.move(*to_client(x1, y1), steps=5)
    page.mouse.up()
    return [i for i, (x, y) in enumerate(coords) if x0 <= x <= x1 and y0 <= y <= y1]


def selected_cells(page, map_selector: str) -> list[int]:
    """Nodes the map ``map_selector`` (the first match) draws as selected."""
    return sorted(
        page.locator(map_selector)
        .first.locator('[data-neuron][data-selected="true"]')
        .evaluate_all("cells => cells.map(c => Number(c.dataset.neuron))")
    )
