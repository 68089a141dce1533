"""Host detection and the notice a view shows where its host cannot draw it (no browser here; the real
hosts are driven in tests/test_hosts_browser.py)."""

from __future__ import annotations

import sys
import types

import pytest

from somnium.widgets import ComponentPlanes, Explorer, MapView, SegmentProfile, TrainingMonitor
from somnium.widgets._hosts import MARIMO_INSTEAD, HostNotice, current_host, marimo_notice


def test_plain_python_is_no_notebook_host():
    assert current_host() in ("python", "ipython")


def test_colab_is_recognised_by_its_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert current_host() == "colab"


@pytest.mark.parametrize("view", [Explorer, SegmentProfile, TrainingMonitor])
def test_containers_answer_marimo_with_a_notice(view):
    # marimo asks `_display_()` before anything else; only these views need it.
    notice = view._display_(object())
    assert isinstance(notice, HostNotice)
    assert notice.view == view.__name__ and notice.host == "marimo"
    mime, html = notice._mime_()
    assert mime == "text/html"
    assert f'data-somnium-host-notice="{view.__name__}"' in html
    assert "cannot be shown in marimo" in html and MARIMO_INSTEAD[view.__name__].split(":")[0] in html
    assert "cannot be shown in marimo" in repr(notice)


@pytest.mark.parametrize("view", [MapView, ComponentPlanes])
def test_anywidget_views_need_no_notice(view):
    assert not hasattr(view, "_display_")


def test_notice_is_text_not_markup():
    notice = HostNotice("<script>alert(1)</script>", "a & b", "<b>x</b>")
    html = notice._repr_html_()
    assert "<script>" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;" in html and "a &amp; b" in html


def test_every_container_has_advice():
    for view in ("Explorer", "SegmentProfile", "TrainingMonitor"):
        assert marimo_notice(view).__doc__
