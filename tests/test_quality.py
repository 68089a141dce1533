"""Map quality measures against brute-force definitions written independently here."""

import math

import numpy as np
import pytest

from somnium import SOM, metrics
from somnium.lattice import Lattice
from somnium.neighborhood import kernel


def ranks_by_loop(distances, i):
    """Rank of every j != i around i (1 = nearest), ties by index: a plain sort of (distance, index)."""
    others = sorted((distances[j], j) for j in range(len(distances)) if j != i)
    return {j: rank for rank, (_, j) in enumerate(others, start=1)}


def brute_rank_measures(X, bmu, lattice, k):
    n = len(X)
    D = lattice.distance_matrix()
    trust = cont = overlap = 0.0
    for i in range(n):
        r_in = ranks_by_loop([math.dist(X[i], X[j]) for j in range(n)], i)
        r_out = ranks_by_loop([D[bmu[i], bmu[j]] for j in range(n)], i)
        knn_in = {j for j, r in r_in.items() if r <= k}
        knn_out = {j for j, r in r_out.items() if r <= k}
        trust += sum(r_in[j] - k for j in knn_out - knn_in)
        cont += sum(r_out[j] - k for j in knn_in - knn_out)
        overlap += len(knn_in & knn_out) / k
    scale = 2.0 / (n * k * (2 * n - 3 * k - 1))
    return 1 - scale * trust, 1 - scale * cont, overlap / n


@pytest.mark.parametrize("lattice_name", ["hexa", "toroidal_rect"])
def test_trustworthiness_continuity_and_preservation_equal_the_definitions(lattice_name):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    model = SOM(mapsize=(4, 5), lattice=lattice_name, dtype="float64", random_state=0).fit(X, epochs=3)
    Xn = model.normalize(X)
    result = metrics.neighborhood_ranks(Xn, model.bmu_, model.lattice_, k=5)
    expected = brute_rank_measures(Xn, model.bmu_, model.lattice_, 5)
    assert (result["trustworthiness"], result["continuity"], result["neighborhood_preservation"]) == (
        pytest.approx(expected[0]),
        pytest.approx(expected[1]),
        pytest.approx(expected[2]),
    )


def test_a_map_that_is_the_data_preserves_every_neighbourhood():
    lattice = Lattice(5, 6, "rect")
    X = lattice.coordinates.copy()  # each row sits on its own node, distances equal lattice distances
    result = metrics.neighborhood_ranks(X, np.arange(30), lattice, k=4)
    assert result["trustworthiness"] == pytest.approx(1.0)
    assert result["continuity"] == pytest.approx(1.0)
    assert result["neighborhood_preservation"] == pytest.approx(1.0)


def test_large_inputs_are_sampled_with_a_stated_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(900, 2))
    model = SOM(mapsize=(5, 5), random_state=0).fit(X, epochs=2)
    Xn = model.normalize(X)
    exact = metrics.neighborhood_ranks(Xn, model.bmu_, model.lattice_, k=5, max_rows=900)
    sampled = metrics.neighborhood_ranks(Xn, model.bmu_, model.lattice_, k=5, max_rows=300)
    assert sampled["rows"] == 300 and sampled["trustworthiness_stderr"] > 0
    assert exact["trustworthiness_stderr"] == 0


def brute_topographic_product(W, lattice):
    m = len(W)
    D_a = lattice.distance_matrix()
    D_v = np.array([[math.dist(a, b) for b in W] for a in W])
    p1 = p2 = 0.0
    count = 0
    for j in range(m):
        by_map = [x for _, x in sorted((D_a[j, x], x) for x in range(m) if x != j)]
        by_data = [x for _, x in sorted((D_v[j, x], x) for x in range(m) if x != j)]
        log1 = log2 = 0.0
        for k in range(1, m):
            a, v = by_map[k - 1], by_data[k - 1]
            log1 += math.log(D_v[j, a] / D_v[j, v])
            log2 += math.log(D_a[j, a] / D_a[j, v])
            p1 += log1 / k
            p2 += log2 / k
            count += 1
    return (p1 / count + p2 / count) / 2, p1 / count, p2 / count


def test_topographic_product_equals_the_definition():
    rng = np.random.default_rng(2)
    model = SOM(mapsize=(3, 4), dtype="float64", random_state=0).fit(rng.normal(size=(80, 3)), epochs=3)
    result = metrics.topographic_product(model.normalized_codebook_, model.lattice_)
    expected = brute_topographic_product(model.normalized_codebook_, model.lattice_)
    assert result["topographic_product"] == pytest.approx(expected[0])
    assert result["topographic_product_p1"] == pytest.approx(expected[1])
    assert result["topographic_product_p2"] == pytest.approx(expected[2])


def test_topographic_product_of_a_perfect_map_is_zero_and_of_a_shuffled_one_is_not():
    lattice = Lattice(4, 5, "rect")
    perfect = lattice.coordinates * [1.0, 1.0]
    assert metrics.topographic_product(perfect, lattice)["topographic_product"] == pytest.approx(
        0.0, abs=1e-12
    )
    shuffled = perfect[np.random.default_rng(0).permutation(20)]
    result = metrics.topographic_product(shuffled, lattice)
    assert result["topographic_product_p1"] > 0.05 and result["topographic_product_p2"] < -0.05


@pytest.mark.parametrize("neighborhood, radius", [("gaussian", 1.3), ("bubble", 1.0), ("gaussian", 0.0)])
def test_distortion_equals_the_double_sum(neighborhood, radius):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 2))
    lattice = Lattice(3, 3, "hexa")
    W = rng.normal(size=(9, 2))
    bmu = np.argmin(((X[:, None] - W[None]) ** 2).sum(-1), axis=1)
    D = lattice.distance_matrix()
    expected = np.mean(
        [
            sum(kernel(neighborhood, D[b, j], radius) * np.sum((x - W[j]) ** 2) for j in range(9))
            for x, b in zip(X, bmu)
        ]
    )
    assert metrics.distortion(X, W, bmu, lattice, neighborhood, radius) == pytest.approx(expected, rel=1e-10)


def test_quality_report_holds_every_measure():
    X = np.random.default_rng(0).normal(size=(200, 3))
    model = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=3, collect_history=True)
    report = model.quality_report(X)
    for key in (
        *metrics.HISTORY_METRICS,
        "mean_bmu_distance",
        "trustworthiness",
        "continuity",
        "neighborhood_preservation",
        "topographic_product",
        "distortion",
    ):
        assert np.isfinite(report[key]), key
    assert report["quantization_error"] == pytest.approx(model.calculate_quantization_error())
    assert 0 < report["trustworthiness"] <= 1 and 0 < report["continuity"] <= 1
