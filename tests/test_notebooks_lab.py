"""Run All of every bundled notebook in JupyterLab, as a newcomer does (issue 24).

Each notebook in notebooks/ is copied to the shared Lab server's root (tests/conftest.py), opened in
JupyterLab with its default settings, run with Run All, and checked once the kernel is idle: no cell
ended in an error; every widget output is drawn (the Somnium views ready, the bqplot charts laid out, no
"Loading widget..." or "Error displaying widget" left); the profile's heading agrees with its bars; the
page logged no console error (known harmless ones are allowed below, each with its reason); no file was
left beside the notebooks.  The README's pictures of the training monitor and the Explorer are taken in
both themes on the way (``test-artifacts/readme/``; copied by hand to docs/images/).

The README's setup: the shared server's kernel runs the test venv, which holds more than the README's
``pip install -e ".[lab]"``; a cheap check below makes sure that extra installs every module the
notebooks import.  The full newcomer's run (a venv made by the README's command, a server of its own, the
kernel importing somnium as installed there) is ``SOMNIUM_README_VENV=<that venv> pytest
tests/test_notebooks_lab.py``; ``.ci/run`` makes that venv and sets it, so CI runs the notebooks as a
newcomer does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.support import lab_server as lab
from tests.support.environment import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.jupyterlab, pytest.mark.slow]

NOTEBOOKS = sorted(p.name for p in (REPO_ROOT / "notebooks").glob("*.ipynb"))
#: Seconds for one notebook's Run All (the Dask one starts a cluster; the machine may be loaded).
RUN_TIMEOUT = 240

#: Console errors that are not the views' (pattern of the text, pattern of the source URL, reason).
KNOWN_HARMLESS = [
    (
        r"^Failed to load resource: net::ERR_NAME_NOT_RESOLVED$",
        r"^https://colab\.research\.google\.com/assets/colab-badge\.svg",
        "getting_started's 'Open in Colab' badge is an image on colab.research.google.com; the test "
        "machine is offline",
    ),
]

#: What each notebook must show, beyond "every widget output is drawn" (issue 24's items).
EXPECTED = {
    # MapView, then an Explorer (map, planes, profile) with a selection and a segment set from code
    "getting_started.ipynb": {".somnium-explorer": 1, ".somnium-planes": 1, ".somnium-profile": 1},
    "live_training.ipynb": {".somnium-monitor": 1},
    "large_data_with_dask.ipynb": {".somnium-monitor": 1, ".somnium-explorer": 1},
    # the segments layer (a legend of names), not a colour bar of segment numbers
    "micro_segmentation.ipynb": {".somnium-segments__name": 3},
}
#: The README's pictures: (notebook, view, file stem).
PICTURES = [
    ("live_training.ipynb", ".somnium-monitor-box", "training_monitor"),
    ("getting_started.ipynb", ".somnium-explorer", "explorer"),
]


def readme_setup_extra() -> str:
    """The extra of the README's main command (its "Two commands" section: venv, install, open Lab)."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", section, re.S).group(1)
    assert "python3 -m venv .venv" in command and "jupyter lab" in command, command
    match = re.search(r'pip install -e "\.\[([\w,-]+)\]"', command)
    assert match, f"the README's main command installs no extra: {command}"
    return match.group(1)


@pytest.fixture(scope="module")
def notebook_lab(request) -> lab.LabServer:
    """The JupyterLab to run the notebooks in, its root holding a copy of notebooks/ (under ``bundled/``).

    By default the session's shared server (its kernel runs the test venv, the repository on its path).
    ``SOMNIUM_README_VENV=<dir>`` runs a server of its own from a venv made by the README's main command,
    whose kernel imports somnium as that venv installed it (no ``PYTHONPATH``): the full newcomer's run.
    """
    given = os.environ.get("SOMNIUM_README_VENV")
    if not given:
        server = request.getfixturevalue("jupyter_lab")
        root = server.root_dir / "bundled"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(REPO_ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        yield server
        shutil.rmtree(root, ignore_errors=True)
        return
    python = Path(given) / "bin" / "python"
    assert python.exists(), f"SOMNIUM_README_VENV={given}: no bin/python there"
    base = Path(tempfile.mkdtemp(prefix="somnium-readme-lab-"))
    root = base / "root" / "bundled"
    shutil.copytree(REPO_ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    server = lab.start_lab(base, base / "root", python=str(python))
    try:
        yield server
    finally:
        lab.stop_lab(server)
        shutil.rmtree(base, ignore_errors=True)


def files_beside(root: Path) -> set[str]:
    """Files under ``root``, but JupyterLab's own checkpoints (git-ignored)."""
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


_RUN_STATE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  // i: the cell's place in the notebook (markdown cells counted), as check_views reports it
  const cells = panel.content.widgets.map((c, i) => [c, i]).filter(([c]) => c.model.type === 'code');
  const errors = [];
  cells.forEach(([c, i]) => c.model.outputs.toJSON().forEach((o) => {
    if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    if (o.output_type === 'stream' && o.name === 'stderr' && /Traceback/.test(o.text)) errors.push(`cell ${i}: ${o.text}`);
  }));
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const pending = Array.from(panel.content.node.querySelectorAll('.jp-InputArea-prompt'))
    .some((p) => p.textContent.includes('*'));
  const ran = cells.every(([c]) => c.model.executionCount !== null);
  return {errors, done: ran && !pending && !!kernel && kernel.status === 'idle'};
}"""

_WIDGET_OUTPUTS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, i) => cell.model.type !== 'code' ? 0 : cell.model.outputs.toJSON()
    .filter((o) => o.data && o.data['application/vnd.jupyter.widget-view+json']).length);
}"""

_CELL_VIEWS_JS = """(i) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
  const area = cell.node.querySelector('.jp-OutputArea');
  // the output area's children follow the cell's outputs one to one; widget views carry no mime-type
  // attribute, so they are found by their place among the outputs
  const children = Array.from(area.children).filter((c) => c.classList.contains('jp-OutputArea-child'));
  const outputs = cell.model.outputs.toJSON()
    .map((o, k) => (o.data && o.data['application/vnd.jupyter.widget-view+json'] ? children[k] : null))
    .filter((c) => c)
    .map((c) => c.querySelector('.jp-OutputArea-output'));
  const size = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const figures = Array.from(area.querySelectorAll('.bqplot'));
  return {
    outputs: outputs.length,
    drawn: outputs.filter((o) => o && o.firstElementChild && size(o.firstElementChild)).length,
    loading: outputs.filter((o) => o && /Loading widget/.test(o.textContent)).length,
    failed: /Error displaying widget|Failed to (load|create) (model|view)/.test(area.textContent),
    notReady: Array.from(area.querySelectorAll('.somnium-map:not(.somnium-planes__plane), .somnium-planes, .somnium-monitor'))
      .filter((v) => v.dataset.ready !== 'true').map((v) => v.className),
    figures: figures.length,
    figuresDrawn: figures.filter((f) => { const s = f.querySelector('svg'); return s && size(s); }).length,
  };
}"""

_PROFILES_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea .somnium-profile')).map((p) => ({
  heading: (p.querySelector('.somnium-profile__heading') || {}).textContent || '',
  bars: p.querySelector('.bqplot').querySelectorAll('rect.bar').length,
}))"""


def run_all(page, name: str) -> None:
    """Run All and wait until every code cell has run (or one failed); fail with the errors."""
    lab.run_all_cells(page)
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        state = page.evaluate(_RUN_STATE_JS)
        assert not state["errors"], f"{name}: " + "\n".join(state["errors"])
        if state["done"]:
            return
        assert time.monotonic() < deadline, f"{name}: Run All did not finish in {RUN_TIMEOUT} s"
        time.sleep(0.5)


def check_views(page, name: str) -> None:
    """Every widget output of every cell is drawn once scrolled into view; the profile agrees with itself."""
    counts = page.evaluate(_WIDGET_OUTPUTS_JS)
    assert sum(counts) > 0, f"{name} shows no view"
    for i, expected in enumerate(counts):
        if not expected:
            continue
        page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.scrollToItem(i)", i)
        deadline = time.monotonic() + 30
        while True:
            views = page.evaluate(_CELL_VIEWS_JS, i)
            complete = (
                views["outputs"] == expected
                and views["drawn"] == expected
                and not views["loading"]
                and not views["notReady"]
                and views["figuresDrawn"] == views["figures"]
            )
            if complete or views["failed"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert not views["failed"], f"{name}, cell {i}: a widget failed to display"
        assert complete, f"{name}, cell {i}: {expected} widget outputs, drawn: {views}"
    for profile in page.evaluate(_PROFILES_JS):
        # "Select nodes..." exactly when no bars are drawn (bqplot once kept it over a profile's bars)
        assert profile["heading"].startswith("Select nodes") == (profile["bars"] == 0), profile


def console_errors(messages: list[tuple[str, str, str]]) -> list[str]:
    """The console errors not known to be harmless (see KNOWN_HARMLESS)."""
    left = []
    for kind, text, url in messages:
        harmless = any(
            re.search(text_pattern, text) and re.search(url_pattern, url)
            for text_pattern, url_pattern, _reason in KNOWN_HARMLESS
        )
        if not harmless:
            left.append(f"{kind}: {text} ({url})")
    return left


def take_pictures(page, selector: str, stem: str, artifacts: Path) -> None:
    """The view in JupyterLab's light and dark themes, for the README."""
    page.set_viewport_size({"width": 1300, "height": 2200})
    view = page.locator(f".jp-OutputArea {selector}").first
    try:
        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            page.evaluate(
                "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
            )
            page.wait_for_function(
                "(t) => document.body.dataset.jpThemeName === t", arg=theme, timeout=30_000
            )
            view.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)  # the theme's variables reach every chart
            path = artifacts / f"{stem}_{'light' if 'Light' in theme else 'dark'}.png"
            view.screenshot(path=str(path))
            assert path.stat().st_size > 20_000
    finally:
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})"
        )


def notebook_imports(path: Path) -> set[str]:
    """Top-level modules a notebook's code cells import (magics and shell lines left out)."""
    import ast

    modules = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        # top-level await (the monitor's cells) is valid in a notebook, not in a module
        tree = compile(code, path.name, "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return modules


def requirement_closure(requirements: list[str]) -> set[str]:
    """Distributions the requirements install, their own requirements followed in this environment."""
    from importlib import metadata

    def name(requirement: str) -> str:
        return re.split(r"[\[<>=!~ ;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    seen: set[str] = set()
    todo = [name(r) for r in requirements]
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        try:
            requires = metadata.requires(dist) or []
        except metadata.PackageNotFoundError:
            continue
        # an extra's requirements only where they are asked for (``dask[array,dataframe]``)
        todo.extend(name(r) for r in requires if "extra ==" not in r)
    return seen


#: Imports a notebook makes only where the host provides them (reason).
HOST_MODULES = {"google": "the Colab setup cell, run only inside Google Colab"}


def test_the_readme_command_installs_what_the_notebooks_import():
    """The README's extra (with somnium's own dependencies) provides every module the notebooks import.

    The shared Lab's kernel runs the test venv, which holds more (scikit-learn, numba...): without this
    a notebook importing one of those would pass here and fail on the README's setup.
    """
    import tomllib
    from importlib import metadata

    extra = readme_setup_extra()
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = requirement_closure([*project["dependencies"], *project["optional-dependencies"][extra]])
    providers = metadata.packages_distributions()
    for notebook in NOTEBOOKS:
        for module in sorted(notebook_imports(REPO_ROOT / "notebooks" / notebook)):
            if module in sys.stdlib_module_names or module == "somnium" or module in HOST_MODULES:
                continue
            dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
            assert dists & installed, f"{notebook} imports {module}; the [{extra}] extra does not install it"


@pytest.mark.timeout(RUN_TIMEOUT + 120)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_in_jupyterlab(notebook_lab, chromium, artifacts_dir, name):
    """Open the notebook in JupyterLab, Run All, and check what a newcomer would see."""
    root = notebook_lab.root_dir / "bundled"
    before = files_beside(root)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    messages: list[tuple[str, str, str]] = []
    page.on(
        "console",
        lambda m: m.type == "error" and messages.append(("console", m.text, m.location.get("url", ""))),
    )
    page.on("pageerror", lambda error: messages.append(("page error", str(error), "")))
    try:
        start = time.monotonic()
        lab.open_notebook(page, notebook_lab, f"bundled/{name}")
        lab.wait_for_kernel_ready(page)
        run_all(page, name)
        print(f"{name}: Run All in {time.monotonic() - start:.1f} s")
        check_views(page, name)
        for selector, count in EXPECTED.get(name, {}).items():
            shown = page.locator(f".jp-OutputArea {selector}").count()
            assert shown >= count, f"{name}: {shown} {selector}, expected {count}"
        for notebook, selector, stem in PICTURES:
            if notebook == name:
                pictures = artifacts_dir / "readme"
                pictures.mkdir(exist_ok=True)
                take_pictures(page, selector, stem, pictures)
        errors = console_errors(messages)
        assert not errors, f"{name}: console errors:\n" + "\n".join(errors)
    finally:
        # the next notebook (and test) gets the machine: the Dask notebook's cluster ends with its kernel
        try:
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        except Exception:  # the page may be gone after a failure; the server reaps its kernels at the end
            pass
        context.close()
    left = files_beside(root) - before
    assert not left, f"{name} left files beside the notebooks: {sorted(left)}"
