"""The third hardening round's findings outside the views: huge constant columns, cluster_map's answers
and arguments.  Each test failed before its fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from somnium import SOM
from somnium.clustering import cluster_map
from somnium.exceptions import InvalidValuesInDataSet


# ------------------------------------------------------------------ a constant column of 1.7e308
@pytest.mark.parametrize("value", [1.7e308, -1.7e308])
def test_a_huge_constant_column_trains_when_normalised(value):
    X = np.random.default_rng(0).normal(size=(100, 3))
    X[:, 1] = value
    for initialization in ("pca", "random"):
        model = SOM(mapsize=(4, 4), normalization="standard", initialization=initialization, random_state=0)
        model.fit(X, epochs=2)
        np.testing.assert_array_equal(model.codebook_[:, 1], value)  # the constant column's prototypes
        assert np.isfinite(model.codebook_).all()


def test_a_huge_constant_column_without_normalisation_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(100, 3))
    X[:, 1] = 1.7e308
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow notes on the way
        with pytest.raises(FloatingPointError, match="normalization='none' with huge values"):
            SOM(mapsize=(4, 4), normalization="none", random_state=0).fit(X, epochs=2)


def test_data_whose_covariance_overflows_are_refused_with_the_reason():
    X = np.random.default_rng(0).normal(size=(100, 3))
    X[:, 1] = np.where(np.arange(100) % 2, 1e308, -1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(InvalidValuesInDataSet, match="covariance .* overflows.*normalization='standard'"):
            SOM(mapsize=(4, 4), normalization="none", random_state=0).fit(X, epochs=2)


# ------------------------------------------------------------------ cluster_map
@pytest.mark.parametrize("method", ["ward", "kmeans"])
@pytest.mark.parametrize("k", [4, 6, 7, 9, 12])
def test_cluster_map_without_contiguity_returns_the_segments_it_reports(method, k):
    # Four distinct rows and a bubble of radius 0.5 at the end: nodes end on exactly the same prototype.
    X = np.repeat(np.arange(4.0)[:, None] * [1.0, 2.0], 50, axis=0)
    model = SOM("bubble", "none", (3, 4), random_state=0).fit(X, epochs=10, radiusfin=0.5)
    assert len(np.unique(model.codebook_, axis=0)) == 7  # twins among the 12 prototypes
    hits = np.ones(12)  # every node weighs the same and may form a segment
    try:
        labels, info = cluster_map(model, k, method=method, contiguous=False, hits=hits, return_info=True)
    except ValueError as error:  # k-means refuses more segments than distinct prototypes, saying so
        assert method == "kmeans" and "distinct prototypes" in str(error)
        return
    assert info.k == k
    assert len(np.unique(labels)) == k
    assert sorted(np.unique(labels)) == list(range(k))


@pytest.mark.parametrize(
    "random_state",
    ["abc", -1, 1.5, True, np.random.RandomState(0)],
    ids=["text", "neg", "float", "bool", "rs"],
)
@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_cluster_map_refuses_a_bad_random_state_clearly(method, random_state):
    model = SOM(mapsize=(4, 4), random_state=0).fit(np.random.default_rng(0).normal(size=(200, 3)), epochs=2)
    with pytest.raises(ValueError, match="random_state must be None, a non-negative integer or a numpy"):
        cluster_map(model, 3, method=method, random_state=random_state)


@pytest.mark.parametrize(
    "hits, reason",
    [
        (["a"] * 16, "dtype"),
        ({"a": 1}, "dtype"),
        ([True] * 16, "dtype bool"),
        ([1 + 1j] * 16, "dtype complex"),
        (np.ones((4, 4)), r"shape \(4, 4\)"),
        ([1.0] * 15, r"shape \(15,\)"),
        ([-1.0] + [1.0] * 15, "negative"),
        ([1e308] * 16, "sum is finite"),
    ],
    ids=["text", "dict", "bool", "complex", "2d", "short", "negative", "overflow"],
)
def test_cluster_map_refuses_bad_hits_clearly(hits, reason):
    model = SOM(mapsize=(4, 4), random_state=0).fit(np.random.default_rng(0).normal(size=(200, 3)), epochs=2)
    with pytest.raises(ValueError, match=f"hits must be 16 finite non-negative numbers.*{reason}"):
        cluster_map(model, 3, hits=hits)
