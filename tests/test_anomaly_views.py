"""The "anomaly" and "drift" layers of MapView and the Explorer, "Select anomalies" and the anomalies-only filter.

References: per-node counts and shares by brute force (exhaustive BMU search, the rows' distances), the
flagged rows from ``model.is_anomaly``, the drift from ``model.drift``; Dask views against the pandas views.
"""

from __future__ import annotations

import json
import threading
import zipfile

import numpy as np
import pytest
import traitlets

from somnium import SOM
from somnium.widgets import Explorer, MapView
from tests.support.reference import brute_bmus

pd = pytest.importorskip("pandas")

FEATURES = ["income", "age", "score"]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(size=(800, 3)), columns=FEATURES)
    df.iloc[:12] += 5.0  # a few far rows
    df["region"] = rng.choice(["north", "south"], size=len(df))
    df.index = pd.Index(rng.permutation(np.arange(5000, 5000 + len(df))), name="customer")
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 5), random_state=0).fit(frame[FEATURES], epochs=4)


def brute_force(model, rows):
    Xn, W = model.normalize(rows[FEATURES]), model.normalized_codebook_
    first, _, d2 = brute_bmus(Xn, W)
    return first, np.sqrt(d2[np.arange(len(Xn)), first])


def test_the_anomaly_layer_is_each_nodes_share_above_the_threshold(model, frame):
    view = MapView(model, data=frame, color="anomaly", anomaly_quantile=0.95)
    limit = model.anomaly_threshold(0.95)
    assert view.anomaly_threshold == limit
    bmu, d = brute_force(model, frame)
    rows = np.bincount(bmu, minlength=30)
    above = np.bincount(bmu[d > limit], minlength=30)
    np.testing.assert_array_equal(view._anomaly_counts, above)
    expected = np.where(rows > 0, above / np.maximum(rows, 1), np.nan)
    np.testing.assert_allclose(view.color_values, expected, rtol=1e-6, equal_nan=True)
    assert view._layer_info["label"] == (
        f"Anomalies: share of rows with BMU distance > {limit:.3g} (training q = 0.95)"
    )
    # node context for the hover card: each node's training-distance scale
    nodes = model._state.nodes
    overall = nodes.sq_distance.sum() / nodes.hits.sum()
    scale = np.sqrt((nodes.sq_distance + 4 * overall) / (nodes.hits + 4))
    np.testing.assert_allclose(view._node_scales, scale, rtol=1e-6)


def test_the_view_and_its_anomaly_layer_read_the_rows_once(model, frame, monkeypatch):
    """The pass that finds the view's BMUs keeps their distances: showing the layer and selecting the
    anomalies make no second search (a spy counts the engine's BMU searches; it changes nothing)."""
    from somnium import engine

    searches = []
    find_bmus = engine.find_bmus

    def counted(*args, **kwargs):
        searches.append(kwargs.get("with_distances", False))
        return find_bmus(*args, **kwargs)

    monkeypatch.setattr(engine, "find_bmus", counted)
    view = MapView(model, data=frame, color="hits")
    assert searches == [True]
    view.color = "anomaly"
    view.select_anomalies()
    assert searches == [True]
    pd.testing.assert_frame_equal(view.selected_rows, frame[model.is_anomaly(frame[FEATURES])])
    explorer = Explorer(model, frame)
    explorer.map.select_anomalies()
    assert len(searches) == 3  # the Explorer's pass, and model.is_anomaly's own above


def test_the_controls_wait_for_the_layer(model, frame):
    view = MapView(model, data=frame, color="hits")
    assert view._anomaly_counts is None  # no pass until the layer (or the gesture) asks; sent empty
    assert "anomaly" in view.layers and "drift" in view.layers


def test_select_anomalies_gives_exactly_the_flagged_rows(model, frame):
    view = MapView(model, data=frame)
    view.select_anomalies()
    flagged = model.is_anomaly(frame[FEATURES])
    assert flagged.sum() > 0 and view.anomalies_only
    bmu = model.predict(frame[FEATURES])
    assert view.selected == sorted(set(bmu[flagged].tolist()))
    pd.testing.assert_frame_equal(view.selected_rows, frame[flagged])
    np.testing.assert_array_equal(view.selected_index, np.flatnonzero(flagged))
    # the filter stays on for another selection: the anomalies of those nodes only
    region = view.selected[:2]
    view.selected = region
    in_region = np.isin(bmu, region)
    pd.testing.assert_frame_equal(view.selected_rows, frame[flagged & in_region])
    view.anomalies_only = False
    pd.testing.assert_frame_equal(view.selected_rows, frame[in_region])


def test_one_gestures_two_messages_are_handled_one_at_a_time(model, frame):
    """The "Select anomalies" click writes the selection and asks the view to filter: two messages to two
    comms, which ipykernel >= 7.4 may hand to two threads (each comm goes to the subshell that last used
    it). An observer set off by the first must not finish after the second and report a stale state
    (seen in JupyterLab under load: the last report said "no filter" although the filter was on)."""
    view = MapView(model, data=frame, color="anomaly", anomaly_quantile=0.95)
    nodes = np.flatnonzero(view._anomaly_counts).tolist()
    slow, release = threading.Event(), threading.Event()
    reports = []

    def report(change):
        snapshot = view.anomalies_only  # what an observer reads first, then works on (slowly)
        if change.name == "selected" and not slow.is_set():
            slow.set()
            release.wait(10)
        reports.append((change.name, snapshot))

    view.observe(report, ["selected", "anomalies_only"])
    update = {"content": {"data": {"method": "update", "state": {"nodes": nodes}, "buffer_paths": []}}}
    custom = {"content": {"data": {"method": "custom", "content": {"action": "select_anomalies"}}}}
    first = threading.Thread(target=view.selection._handle_msg, args=({**update, "buffers": []},))
    second = threading.Thread(target=view._handle_msg, args=({**custom, "buffers": []},))
    first.start()
    assert slow.wait(10)
    second.start()
    second.join(0.5)
    waited = second.is_alive()  # the view's message waits for the selection's to be handled
    release.set()
    first.join(10)
    second.join(10)
    assert waited
    assert view.anomalies_only and view.selected == nodes
    assert reports[-1] == ("anomalies_only", True)
    assert reports[0] == ("selected", False)


def test_the_explorer_reads_the_maps_filter(model, frame):
    explorer = Explorer(model, frame)
    explorer.map.select_anomalies()
    pd.testing.assert_frame_equal(explorer.selected_rows, frame[model.is_anomaly(frame[FEATURES])])
    assert explorer.selection.nodes == explorer.map.selected


def test_an_array_view_selects_anomaly_rows_too(model, frame):
    X = frame[FEATURES].to_numpy()
    view = MapView(model, data=X)
    view.select_anomalies()
    np.testing.assert_array_equal(view.selected_rows, X[model.is_anomaly(X)])


def test_the_drift_layer_is_models_drift_on_a_diverging_palette(model, frame):
    shifted = frame.iloc[100:500].copy()
    shifted["income"] += 1.0
    view = MapView(model, data=shifted, color="drift")
    report = model.drift(shifted[FEATURES])
    np.testing.assert_allclose(view.color_values, report.difference, rtol=1e-6, atol=1e-9)
    assert view._layer_info["palette"] == "diverging"
    assert view.drift.raw_divergence == pytest.approx(report.raw_divergence)
    assert f"JS divergence {report.divergence:.3f} bits" in view._layer_info["label"]
    view.color = "hits"
    assert "palette" not in view._layer_info


def test_views_without_rows_or_distribution_say_why(model, frame, tmp_path):
    plain = MapView(model)  # no data: training BMUs only
    with pytest.raises(traitlets.TraitError, match="pass data= to MapView"):
        plain.color = "anomaly"
    with pytest.raises(ValueError, match="pass data= to MapView"):
        plain.select_anomalies()
    with pytest.raises(traitlets.TraitError, match="not available"):
        plain.anomalies_only = True
    # a format 3 model file (no distance distribution): the layers are not offered, and say why
    model.save(tmp_path / "m.som")
    with zipfile.ZipFile(tmp_path / "m.som") as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(parts["somnium.json"])
    meta["format_version"] = 3
    meta["nodes"].pop("distances")
    dropped = [name for name in meta["arrays"] if name.startswith("distances.") or "distance" in name]
    meta["arrays"] = [name for name in meta["arrays"] if name not in dropped]
    parts = {name: data for name, data in parts.items() if name[: -len(".npy")] not in dropped}
    parts["somnium.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(tmp_path / "old.som", "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    old = SOM.load(tmp_path / "old.som")
    view = MapView(old, data=frame)
    assert "anomaly" not in view.layers
    with pytest.raises(traitlets.TraitError, match="older Somnium"):
        view.color = "anomaly"


def test_dask_views_count_and_filter_anomalies_lazily(model, frame):
    dd = pytest.importorskip("dask.dataframe")
    lazy = dd.from_pandas(frame, npartitions=4, sort=False)
    view = MapView(model, data=lazy, color="anomaly")
    reference = MapView(model, data=frame, color="anomaly")
    np.testing.assert_allclose(view.color_values, reference.color_values, rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(view._anomaly_counts, reference._anomaly_counts)
    view.select_anomalies()
    reference.select_anomalies()
    assert view.selected == reference.selected
    rows = view.selected_rows
    assert isinstance(rows, dd.DataFrame)
    pd.testing.assert_frame_equal(rows.compute(), reference.selected_rows, check_dtype=False)
    view.color = "drift"
    reference.color = "drift"
    np.testing.assert_allclose(view.color_values, reference.color_values, atol=1e-15)
    array = MapView(
        model, data=pytest.importorskip("dask.array").from_array(frame[FEATURES].to_numpy(), chunks=300)
    )
    array.select_anomalies()
    np.testing.assert_array_equal(
        array.selected_rows.compute(), frame[FEATURES].to_numpy()[model.is_anomaly(frame[FEATURES])]
    )
