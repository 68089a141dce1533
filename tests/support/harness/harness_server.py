"""Serve the static harness page and the built bundles on 127.0.0.1.

Everything is served under a random token path (``/<token>/``); any other
path gets 403, so nothing else on the machine can read from it.  Below the
token, ``/`` and ``/harness.js`` come from this folder and ``/static/...``
from ``somnium/static/`` (the committed bundles, exactly what users get).
Used by the browser tests (tests/test_*_browser.py) and benchmarks/bench_map_view.py, bench_linked_views.py.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import secrets
import threading
from pathlib import Path

HARNESS_DIR = Path(__file__).resolve().parent
STATIC_DIR = HARNESS_DIR.parents[2] / "somnium" / "static"

# Traits the harness does not need (the bundle is loaded from /static/ instead).
_SKIPPED = {"_esm", "_css", "layout", "_dom_classes", "tooltip"}


def _encode(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    return value


def widget_state(widget, names=None) -> dict:
    """A widget's synced state as JSON, bytes at any depth as ``{"$bytes": base64}``."""
    return {name: _encode(value) for name, value in widget.get_state(names).items() if name not in _SKIPPED}


def model_states(*widgets) -> dict:
    """``{model_id: state}`` of the widget models the given views reference (their selections)."""
    models = {}
    for widget in widgets:
        selection = getattr(widget, "selection", None)
        if selection is not None:
            models[selection.model_id] = widget_state(selection)
    return models


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}
    token = ""

    def send_head(self):
        if not self.path.startswith(f"/{self.token}/"):
            self.send_error(403, "Missing or wrong token")
            return None
        return super().send_head()

    def translate_path(self, path):
        path = path.split("?", 1)[0].split("#", 1)[0]
        path = path[len(self.token) + 1 :]
        if path.startswith("/static/"):
            return str(STATIC_DIR / Path(path[len("/static/") :]).name)
        name = Path(path).name or "index.html"
        return str(HARNESS_DIR / name)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):  # keep test output quiet
        pass


@contextlib.contextmanager
def serve_harness():
    """Yield the base URL of a harness server on a free loopback port."""
    token = secrets.token_urlsafe(16)
    handler = type("_TokenHandler", (_Handler,), {"token": token})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{token}"
    finally:
        server.shutdown()
        server.server_close()
