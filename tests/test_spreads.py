"""Spreads from per-node sums stay right at large offsets (a column around 1e8, Unix timestamps).

Every spread the views compute is checked against a two-pass NumPy reference on the same rows: the
profile's z-scores, whiskers and standard deviations (in memory and on Dask, whatever the partitions),
the map's column layers (means), its hover z-scores, and the sums' own merge across partitions.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from somnium import SOM
from somnium._summaries import NodeSums, SumPlan, sum_by_node
from somnium.segments import Segments
from somnium.widgets import MapView, SegmentProfile

pd = pytest.importorskip("pandas")

FEATURES = ["a", "b"]
NODE_SETS = [[0, 1, 2, 5], [3], list(range(7, 16))]


def make_frame(n_rows=2000, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n_rows, 2)), columns=FEATURES)
    frame["big"] = 1e8 + rng.normal(size=n_rows) + frame["a"]  # a column offset by 1e8
    frame["stamp"] = 1.7e9 + rng.uniform(0, 2, n_rows) + 0.5 * frame["b"]  # Unix seconds, a second apart
    frame["small"] = rng.normal(size=n_rows) + frame["a"]  # no offset: the control
    frame.loc[frame.index[::13], "big"] = np.nan  # missing values are left out of a column's moments
    return frame


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(4, 4), random_state=0).fit(frame[FEATURES], epochs=4)


@pytest.fixture(scope="module")
def bmu(model, frame):
    return model.predict(frame[FEATURES])


def reference(frame, bmu, nodes, column):
    """z, its 95 % half width, std of all rows and of the selected rows: two passes over the rows."""
    values = frame[column].to_numpy()
    values = values[np.isfinite(values)]
    chosen = frame[column].to_numpy()[np.isin(bmu, nodes)]
    chosen = chosen[np.isfinite(chosen)]
    mean_all = values.mean()
    std_all = np.sqrt(np.mean((values - mean_all) ** 2))
    mean_sel = chosen.mean()
    std_sel = np.sqrt(np.mean((chosen - mean_sel) ** 2))
    z = (mean_sel - mean_all) / std_all
    return z, 1.96 * std_sel / np.sqrt(len(chosen)) / std_all, std_all, mean_sel


def check_profile(profile, frame, bmu):
    # Per-node means at 1.7e9 are kept to their float64 resolution (2.4e-7, the values' own), so the
    # spreads agree to about 1e-7 of themselves; the sum-of-squares formula they replace was off by
    # 20 % (z) or 100 % (a std of 0).
    for nodes in NODE_SETS:
        table = profile.compare(nodes)
        for column in ("big", "stamp", "small"):
            z, half, std_all, mean_sel = reference(frame, bmu, nodes, column)
            row = table.loc[column]
            assert row["z"] == pytest.approx(z, rel=1e-6, abs=1e-6), (column, nodes)
            assert row["z_high"] - row["z"] == pytest.approx(half, rel=1e-6), (column, nodes)
            assert row["std_all"] == pytest.approx(std_all, rel=1e-7), (column, nodes)
            assert row["mean_selected"] == pytest.approx(mean_sel, rel=1e-14), (column, nodes)


def test_the_profile_z_scores_at_large_offsets_are_the_two_pass_ones(model, frame, bmu):
    check_profile(SegmentProfile(model, frame), frame, bmu)


def test_unix_timestamps_keep_their_spread_and_stay_in_the_chart(model, frame):
    profile = SegmentProfile(model, frame)
    profile.selected = NODE_SETS[0]
    assert profile.numeric_table.loc["stamp", "std_all"] == pytest.approx(
        frame["stamp"].std(ddof=0), rel=1e-6
    )
    assert "stamp" in list(profile._z_bars.x)


def test_the_profile_on_dask_equals_the_two_pass_reference_whatever_the_partitions(model, frame, bmu):
    dd = pytest.importorskip("dask.dataframe")
    for npartitions in (1, 3, 7):
        lazy = dd.from_pandas(frame, npartitions=npartitions, sort=False)
        check_profile(SegmentProfile(model, lazy), frame, bmu)


def test_node_sums_merge_across_parts_as_one_two_pass(frame, bmu):
    plan = SumPlan.of(16, ["big", "stamp", "small"])
    whole = sum_by_node(bmu, frame, plan)
    cuts = [0, 1, 500, 501, 1300, len(frame)]
    parts = [sum_by_node(bmu[a:b], frame.iloc[a:b], plan) for a, b in itertools.pairwise(cuts)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged + part
    empty = NodeSums.empty(plan, 3)
    merged = empty + merged + empty
    for sums in (whole, merged):
        for j, column in enumerate(plan.numeric):
            groups = frame[column].groupby(bmu)
            nodes = groups.count().index
            means = sums.means(plan, [column])[column]
            np.testing.assert_allclose(means[nodes], groups.mean().to_numpy(), rtol=1e-14)
            spread = groups.apply(lambda s: ((s.dropna() - s.mean()) ** 2).sum()).to_numpy()
            np.testing.assert_allclose(sums.m2[nodes, j], spread, rtol=1e-7, atol=1e-9)


def test_the_map_layer_of_a_large_offset_column_is_its_mean_per_node(model, frame, bmu):
    view = MapView(model, frame, color="big")
    expected = frame["big"].groupby(bmu).mean().reindex(range(16)).to_numpy()
    np.testing.assert_allclose(view.color_values, expected, rtol=1e-15)


def test_the_hover_z_scores_of_a_large_offset_map_are_the_two_pass_ones():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3)) + [1e8, 0, 1.7e9]
    model = SOM(mapsize=(4, 4), normalization="standard", random_state=0).fit(X, epochs=4)
    view = MapView(model)
    codebook = model.codebook_
    std = np.sqrt(((codebook - codebook.mean(axis=0)) ** 2).mean(axis=0))
    z = (codebook - codebook.mean(axis=0)) / std
    expected = np.take_along_axis(z, view._top_features, axis=1)
    np.testing.assert_allclose(view._top_scores, expected, rtol=1e-6, atol=1e-6)


def test_segments_profile_means_and_medians_at_large_offsets(model, frame, bmu):
    segments = Segments(model)
    segments.add("first", NODE_SETS[0])
    segments.add("second", NODE_SETS[2])
    table = segments.profile(frame, bmu=bmu)
    for name, nodes in zip(("first", "second"), (NODE_SETS[0], NODE_SETS[2]), strict=True):
        rows = frame[np.isin(bmu, nodes)]
        for column in ("big", "stamp"):
            assert table.loc[name, f"{column}_mean"] == pytest.approx(rows[column].mean(), rel=1e-15)
            assert table.loc[name, f"{column}_median"] == rows[column].median()


def test_the_distortion_of_a_map_does_not_move_with_the_data():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 2))
    reports = []
    for offset in (0.0, 1e8):
        model = SOM(mapsize=(4, 4), normalization="none", random_state=0).fit(X + offset, epochs=3)
        reports.append(model.quality_report(X + offset))
    assert reports[1]["distortion"] == pytest.approx(reports[0]["distortion"], rel=1e-6)


def wire(widget, name):
    """The values of a binary trait as the browser decodes them (widget_js/lib/binary.js)."""
    message = widget.trait_metadata(name, "to_json")(getattr(widget, name), widget)
    return np.frombuffer(bytes(message["data"]), dtype=np.dtype(message["dtype"]).newbyteorder("<"))


def test_a_large_offset_layer_reaches_the_browser_with_every_digit(model, frame):
    view = MapView(model, frame, color="big")
    np.testing.assert_array_equal(wire(view, "_layer_values"), view.color_values)
    view.color = "stamp"
    values = wire(view, "_layer_values")
    np.testing.assert_array_equal(values, view.color_values)
    assert len(np.unique(values)) == len(values)  # float32 would leave a few distinct colours


def test_large_offset_planes_reach_the_browser_with_every_digit():
    from somnium.widgets import ComponentPlanes

    X = np.random.default_rng(4).normal(size=(400, 2)) + [1e8, 1.7e9]
    model = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=3)
    planes = ComponentPlanes(model, order="input")
    np.testing.assert_array_equal(wire(planes, "_values").reshape(2, 16), model.codebook_.T)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    offset=st.sampled_from([0.0, 1e4, 1e8, 1.7e9, -3e11]),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
    n_parts=st.integers(1, 6),
)
def test_moments_merged_in_any_split_are_the_two_pass_ones(seed, offset, scale, n_parts):
    rng = np.random.default_rng(seed)
    n_rows, n_nodes = int(rng.integers(1, 200)), 5
    bmu = rng.integers(0, n_nodes, n_rows)
    values = offset + scale * rng.normal(size=n_rows)
    values[rng.random(n_rows) < 0.1] = np.nan
    frame = pd.DataFrame({"v": values})
    plan = SumPlan.of(n_nodes, ["v"])
    cuts = np.sort(rng.integers(0, n_rows + 1, n_parts - 1))
    bounds = [0, *cuts.tolist(), n_rows]
    merged = NodeSums.empty(plan, 1)
    for a, b in itertools.pairwise(bounds):
        merged = merged + sum_by_node(bmu[a:b], frame.iloc[a:b], plan)
    nodes = [0, 2, 3]
    n, mean, m2 = merged.pooled(nodes)
    chosen = values[np.isin(bmu, nodes)]
    chosen = chosen[np.isfinite(chosen)]
    assert n[0] == len(chosen)
    if len(chosen):
        reference_mean = chosen.mean()
        reference_m2 = ((chosen - reference_mean) ** 2).sum()
        ulp = np.spacing(abs(offset) + 10 * scale)  # the values' own resolution
        assert abs(mean[0] - reference_mean) <= 8 * ulp + 1e-12 * abs(reference_mean)
        assert abs(m2[0] - reference_m2) <= 1e-9 * reference_m2 + 16 * len(chosen) * ulp * (scale + ulp)
    else:
        assert np.isnan(mean[0]) and m2[0] == 0


def test_a_column_with_no_finite_value_gives_empty_moments_silently():
    """Hand-worked: node 0 holds 1.0, node 1 holds 2.0 and 4.0 (mean 3, squared deviations 2); the
    all-missing column counts nothing, and nothing warns (no inf - inf reaches the user)."""
    import warnings

    from somnium._summaries import _node_moments

    values = np.array([[np.nan, 1.0], [np.nan, 2.0], [np.nan, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts, mean, m2 = _node_moments(np.array([0, 1, 1]), values, 2)
    np.testing.assert_array_equal(counts, [[0, 1], [0, 2]])
    np.testing.assert_array_equal(mean[:, 1], [1.0, 3.0])
    np.testing.assert_array_equal(m2[:, 1], [0.0, 2.0])
    assert (counts[:, 0] == 0).all()
