"""Build the documentation site, strictly (warnings are errors), and optionally serve it.

    python docs/build.py            # -> docs/_build/html
    python docs/build.py --serve    # then serve it on http://127.0.0.1:8000

Needs the ``docs`` extra (``pip install -e ".[docs]"``) and, once, the npm client: the widget
manager (``@jupyter-widgets/html-manager``) and require.js are fetched with ``npm pack`` at pinned
versions and checked against their integrity hashes; the widgets' own modules (anywidget, bqplot,
bqscales) are copied from this environment's Jupyter data directories, so the pages render the
saved widgets from the site alone, offline.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import http.server
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "_build" / "html"
WIDGETS = DOCS / "_static" / "widgets"

#: npm tarballs: (spec, member inside the tarball, file in _static/widgets, sha512 integrity).
NPM_FILES = [
    (
        "@jupyter-widgets/html-manager@1.0.15",
        "package/dist/embed-amd.js",
        "embed-amd.js",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
    ),
    (
        "requirejs@2.3.8",
        "package/require.js",
        "require.js",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
    ),
]
#: The widgets' AMD modules, as their Python packages install them for the classic notebook.
NBEXTENSIONS = ["anywidget", "bqplot", "bqscales"]


def _npm_file(spec: str, member: str, target: Path, integrity: str) -> None:
    if target.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("docs/build.py needs npm once, to fetch the widget manager (apt-get install npm).")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", spec, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (tarball,) = Path(tmp).glob("*.tgz")
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != integrity:
            sys.exit(f"{spec}: integrity {digest} differs from the pinned {integrity}")
        with tarfile.open(tarball) as tar:
            data = tar.extractfile(member).read()
    target.write_bytes(data)


def _nbextension(name: str) -> Path:
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("nbextensions"):
        candidate = Path(base) / name / "index.js"
        if candidate.exists():
            return candidate
    sys.exit(f"no nbextensions/{name}/index.js in this environment: pip install -e '.[docs]'")


def prepare_widget_js() -> None:
    """Put the widget manager and the widgets' modules in docs/_static/widgets (git-ignored)."""
    WIDGETS.mkdir(parents=True, exist_ok=True)
    for spec, member, name, integrity in NPM_FILES:
        _npm_file(spec, member, WIDGETS / name, integrity)
    for name in NBEXTENSIONS:
        # Always refreshed: the modules must match the Python packages that wrote the saved state.
        shutil.copyfile(_nbextension(name), WIDGETS / f"{name}.js")


def build(jobs: str = "auto") -> float:
    prepare_widget_js()
    start = time.monotonic()
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-j", jobs]
    subprocess.run([*cmd, str(DOCS), str(OUT)], check=True)
    return time.monotonic() - start


def serve(port: int) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(OUT))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"serving {OUT} on http://127.0.0.1:{port}/ (Ctrl-C stops)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="serve the built site on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--clean", action="store_true", help="remove docs/_build first")
    parser.add_argument(
        "--jobs",
        default="auto",
        help="Sphinx processes (-j; default one per core: the notebooks run side by side)",
    )
    args = parser.parse_args()
    if args.clean:
        shutil.rmtree(DOCS / "_build", ignore_errors=True)
    seconds = build(args.jobs)
    print(f"site built in {seconds:.1f} s: {OUT / 'index.html'}")
    if args.serve:
        serve(args.port)


if __name__ == "__main__":
    main()
