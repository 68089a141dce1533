"""Sphinx configuration of the documentation site (build it with ``python docs/build.py``).

Sphinx + the PyData theme + MyST-NB: MyST-NB executes the notebooks at build time and writes their
widgets' saved state into the pages, and ``nb_ipywidgets_js`` lets the pages load the widget
manager and the widgets' JavaScript from the site itself (no CDN), so the maps draw offline.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import somnium  # noqa: E402 - after the path insert, so the docs document this tree

project = "Somnium"
author = "Somnium contributors"
copyright = "2026, Somnium contributors"
release = somnium.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

# ----------------------------------------------------------------------------------- sources
# The workflow notebooks live in notebooks/ (where users open them); the site executes copies of them.
GENERATED = DOCS / "_generated"
NOTEBOOKS = [
    "getting_started",
    "live_training",
    "micro_segmentation",
    "large_data_with_dask",
    "anomaly_detection",
    "explain_a_model",
]


def _copy_notebooks() -> None:
    target = GENERATED / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    for name in NOTEBOOKS:
        src, dst = ROOT / "notebooks" / f"{name}.ipynb", target / f"{name}.ipynb"
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


_copy_notebooks()

exclude_patterns = ["_build", "node_modules", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "README.md"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# ----------------------------------------------------------------------------------- MyST / MyST-NB
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# Every build runs every notebook, so the pages show what the code does today.  SOMNIUM_DOCS_EXECUTE=off
# skips it while editing prose or docstrings (the pages then show no outputs; CI never sets it).
nb_execution_mode = "off" if os.environ.get("SOMNIUM_DOCS_EXECUTE") == "off" else "force"
if nb_execution_mode == "off":  # unexecuted notebooks name no language for their cells
    suppress_warnings = ["myst-nb.lexer"]
nb_execution_timeout = 300
nb_execution_in_temp = True  # files the notebooks write (saved models, JSON) never land in docs/
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_show_tb = True
nb_merge_streams = True
# The widget manager and the widgets' modules, served from _static/widgets (docs/build.py puts them
# there): require.js, then the module paths, then the manager that renders the saved widget state.
nb_ipywidgets_js = {
    "widgets/require.js": {},
    "somnium-widgets.js": {},
    "widgets/embed-amd.js": {},
}

# ----------------------------------------------------------------------------------- API reference
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the NumPy-style docstrings carry the types
autoclass_content = "both"  # class docstring + __init__'s
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Types as text, not cross-references: shapes like "(n_rows, n_features_in_)" are not targets.
napoleon_use_param = False
napoleon_use_ivar = True  # "Attributes" sections as fields: the properties are documented as members
# The views' docstrings have sections of their own; napoleon renders them as generic sections.
napoleon_custom_sections = [
    ("Synced (wire-only) traits", "params_style"),
    "Three ways to train",
    "Stopping",
]
# Names the docstrings mention by their short or external spelling: not cross-reference targets here.
nitpicky = False

# ----------------------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"Somnium {release}"
html_static_path = ["_static"]
html_css_files = ["somnium-docs.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    # Offline-friendly: no icon links, search or analytics fetched from elsewhere.
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_last_updated_fmt = None
