"""Metric definitions against hand-worked cases and direct loops."""

import math

import numpy as np
import pytest

from somnium import SOM, metrics
from somnium.engine import EpochStatistics
from somnium.lattice import Lattice

# Three nodes on a 1x3 rectangular map: 0 - 1 - 2 (0 and 2 are not neighbours).
CODEBOOK = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
LATTICE = Lattice(1, 3, "rect")
# Rows worked by hand: BMU, per-feature mean absolute error, squared distance.
ROWS = np.array([[0.0, 1.0], [1.2, 0.0], [1.9, 0.4], [0.1, -0.2]])
BMU = np.array([0, 1, 2, 0])
ABS = np.array([(0 + 1) / 2, (0.2 + 0) / 2, (0.1 + 0.4) / 2, (0.1 + 0.2) / 2])
SQ = np.array([1.0, 0.04, 0.01 + 0.16, 0.01 + 0.04])


def test_quantization_error_is_the_mean_per_feature_absolute_error():
    assert metrics.quantization_error(ROWS, CODEBOOK, BMU) == pytest.approx(ABS.mean())
    np.testing.assert_allclose(metrics.row_abs_error(ROWS, CODEBOOK, BMU), ABS)


def test_mean_bmu_distance_is_the_mean_euclidean_distance():
    assert metrics.mean_bmu_distance(ROWS, CODEBOOK, BMU) == pytest.approx(np.sqrt(SQ).mean())


def test_topographic_error_counts_non_adjacent_second_bmus():
    # second BMUs: 1 (adjacent to 0), 2 (adjacent to 1), 1 (adjacent), 2 (not adjacent to 0)
    second = np.array([1, 2, 1, 2])
    assert metrics.topographic_error(BMU, second, LATTICE) == pytest.approx(1 / 4)


def test_vacancy_rate_and_hits():
    np.testing.assert_array_equal(metrics.hits(np.array([0, 0, 2]), 3), [2, 0, 1])
    assert metrics.vacancy_rate(np.array([0, 0, 2]), 3) == pytest.approx(1 / 3)


def test_node_quantization_error_is_nan_for_empty_nodes():
    result = metrics.node_quantization_error(ROWS, CODEBOOK, np.array([0, 0, 0, 2]))
    # by hand: node 0 holds rows 0-2 (errors 0.5, 0.6, 1.15), node 2 holds row 3 vs (2, 0): (1.9 + 0.2) / 2
    np.testing.assert_allclose(result, [0.75, np.nan, 1.05], equal_nan=True)


def test_metrics_from_statistics_match_the_array_definitions():
    stats = EpochStatistics(
        n_rows=4,
        hits=np.bincount(BMU, minlength=3).astype(float),
        sums=np.zeros((3, 2)),
        abs_error=ABS.sum(),
        sq_distance=SQ.sum(),
        topographic_errors=1.0,
        distance=np.sqrt(SQ).sum(),
    )
    result = stats.metrics()
    assert set(metrics.HISTORY_METRICS) <= set(result)
    assert result["quantization_error"] == pytest.approx(metrics.quantization_error(ROWS, CODEBOOK, BMU))
    assert result["mean_bmu_distance"] == pytest.approx(metrics.mean_bmu_distance(ROWS, CODEBOOK, BMU))
    assert result["mean_squared_distance"] == pytest.approx(SQ.mean())
    assert result["topographic_error"] == pytest.approx(0.25)
    assert result["vacancy_rate"] == pytest.approx(0.0)


def test_statistics_add_up_over_partitions():
    a = EpochStatistics(2, np.array([1.0, 1.0]), np.ones((2, 1)), 1.0, 2.0, 0.0, 1.5, np.array([0.5, 0.5]))
    b = EpochStatistics(1, np.array([0.0, 1.0]), np.ones((2, 1)), 3.0, 4.0, 1.0, 2.0, np.array([0.0, 3.0]))
    total = a + b
    assert total.n_rows == 3 and total.abs_error == 4.0 and total.topographic_errors == 1.0
    np.testing.assert_array_equal(total.node_abs_error, [0.5, 3.5])
    assert total.metrics()["quantization_error"] == pytest.approx(4 / 3)


def test_umatrix_by_hand():
    # node 1 has two neighbours at distance 1; the ends one each
    np.testing.assert_allclose(metrics.umatrix(CODEBOOK, LATTICE), [1.0, 1.0, 1.0])
    codebook = np.array([[0.0], [1.0], [3.0]])
    np.testing.assert_allclose(metrics.umatrix(codebook, LATTICE), [1.0, 1.5, 2.0])


def test_every_metric_key_has_a_label():
    assert set(metrics.HISTORY_METRICS) <= set(metrics.METRIC_LABELS)
    assert metrics.HISTORY_METRICS[:3] == ("quantization_error", "topographic_error", "vacancy_rate")


def test_model_metrics_equal_the_array_definitions_on_its_own_data():
    X = np.random.default_rng(0).normal(size=(200, 3))
    model = SOM(mapsize=(4, 5), dtype="float64", random_state=0).fit(X, epochs=3)
    Xn, W, b = model.normalize(X), model.normalized_codebook_, model.bmu_
    assert model.calculate_quantization_error() == pytest.approx(metrics.quantization_error(Xn, W, b))
    assert model.calculate_mean_bmu_distance() == pytest.approx(metrics.mean_bmu_distance(Xn, W, b))
    assert model.calculate_vacancy_rate() == pytest.approx(metrics.vacancy_rate(b, 20))
    np.testing.assert_allclose(
        model.node_quantization_error(), metrics.node_quantization_error(Xn, W, b), equal_nan=True
    )
    assert math.isfinite(model.calculate_topographic_error())
