"""Specification of the bundled and synthetic datasets in somnium.datasets."""

from __future__ import annotations

import numpy as np
import pytest

from somnium.datasets import FLIGHT_FEATURES, PENGUIN_MEASUREMENTS, load_flights, load_penguins, make_blobs

pd = pytest.importorskip("pandas")

# -- penguins ---------------------------------------------------------------------------


def test_penguins_has_the_documented_columns_and_dtypes():
    penguins = load_penguins()
    assert penguins.columns.tolist() == [
        "species",
        "island",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
        "year",
    ]
    for column in PENGUIN_MEASUREMENTS:
        assert penguins[column].dtype == np.float64
    for column in ("species", "island", "sex"):
        assert isinstance(penguins[column].dtype, pd.CategoricalDtype)
    assert penguins["year"].dtype == np.int64


def test_penguins_dropna_removes_rows_with_missing_measurements():
    penguins = load_penguins()
    assert penguins.shape == (342, 8)
    assert not penguins[list(PENGUIN_MEASUREMENTS)].isna().any().any()
    assert penguins.index.equals(pd.RangeIndex(342))


def test_penguins_without_dropna_is_the_full_table():
    penguins = load_penguins(dropna=False)
    assert penguins.shape == (344, 8)
    assert penguins["bill_length_mm"].isna().sum() == 2


def test_penguins_has_three_species_on_three_islands():
    penguins = load_penguins()
    assert sorted(penguins["species"].unique()) == ["Adelie", "Chinstrap", "Gentoo"]
    assert penguins["species"].value_counts().to_dict() == {"Adelie": 151, "Gentoo": 123, "Chinstrap": 68}
    assert sorted(penguins["island"].unique()) == ["Biscoe", "Dream", "Torgersen"]


def test_penguins_numeric_only_is_the_four_measurements():
    measurements = load_penguins(numeric_only=True)
    assert measurements.columns.tolist() == list(PENGUIN_MEASUREMENTS)
    assert measurements.shape == (342, 4)
    assert (measurements.dtypes == np.float64).all()
    # plausible physical ranges: a check that columns were not shuffled
    assert measurements["body_mass_g"].between(2500, 6500).all()
    assert measurements["flipper_length_mm"].between(170, 235).all()


def test_penguins_first_row_matches_the_source():
    first = load_penguins().iloc[0]
    assert (first["species"], first["island"], first["sex"], first["year"]) == (
        "Adelie",
        "Torgersen",
        "male",
        2007,
    )
    assert first[list(PENGUIN_MEASUREMENTS)].tolist() == [39.1, 18.7, 181.0, 3750.0]


def test_penguins_returns_an_independent_frame_each_call():
    first = load_penguins()
    first.loc[0, "bill_length_mm"] = -1.0
    assert load_penguins().loc[0, "bill_length_mm"] == 39.1


# -- make_blobs -------------------------------------------------------------------------


def test_blobs_default_shape_and_dtype():
    X = make_blobs(random_state=0)
    assert X.shape == (1000, 8)
    assert X.dtype == np.float64
    assert np.isfinite(X).all()


def test_blobs_same_seed_gives_same_data_and_other_seed_differs():
    X1, labels1 = make_blobs(500, 3, 4, random_state=42, return_labels=True)
    X2, labels2 = make_blobs(500, 3, 4, random_state=42, return_labels=True)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(labels1, labels2)
    assert not np.array_equal(X1, make_blobs(500, 3, 4, random_state=43))


def test_blobs_accepts_a_generator():
    X1 = make_blobs(50, 2, random_state=np.random.default_rng(5))
    X2 = make_blobs(50, 2, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(X1, X2)


@pytest.mark.parametrize(("n_samples", "n_clusters"), [(1, 1), (7, 3), (1000, 5), (4, 10)])
def test_blobs_labels_are_balanced_and_in_range(n_samples, n_clusters):
    X, labels = make_blobs(n_samples, 2, n_clusters, random_state=0, return_labels=True)
    assert X.shape == (n_samples, 2)
    assert labels.shape == (n_samples,)
    assert labels.min() >= 0 and labels.max() < n_clusters
    counts = np.bincount(labels, minlength=n_clusters)
    assert counts.max() - counts.min() <= 1


def test_blobs_points_are_closer_to_their_own_cluster_centre():
    X, labels = make_blobs(2000, 6, 5, cluster_std=1.0, random_state=3, return_labels=True)
    centres = np.array([X[labels == cluster].mean(axis=0) for cluster in range(5)])
    distances = np.linalg.norm(X[:, None, :] - centres[None, :, :], axis=2)
    own = distances[np.arange(len(X)), labels]
    others = np.where(np.arange(5)[None, :] == labels[:, None], np.inf, distances)
    assert own.mean() < others.min(axis=1).mean()
    assert (own < others.min(axis=1)).mean() > 0.95


def test_blobs_cluster_std_is_the_spread_around_each_centre():
    X, labels = make_blobs(20000, 4, 3, cluster_std=2.5, random_state=1, return_labels=True)
    for cluster in range(3):
        np.testing.assert_allclose(X[labels == cluster].std(axis=0), 2.5, rtol=0.05)


def test_blobs_zero_std_puts_every_point_on_its_centre():
    X, labels = make_blobs(30, 3, 2, cluster_std=0.0, random_state=1, return_labels=True)
    for cluster in range(2):
        assert len(np.unique(X[labels == cluster], axis=0)) == 1


def test_blobs_float32_matches_float64_in_distribution():
    X32, labels = make_blobs(3000, 5, 4, random_state=9, return_labels=True, dtype=np.float32)
    assert X32.dtype == np.float32
    assert X32.flags.c_contiguous
    centres = np.array([X32[labels == cluster].mean(axis=0) for cluster in range(4)])
    assert np.all(np.abs(centres) < 10.5)
    assert X32.std() > 1.0


def test_blobs_spanning_several_chunks_stay_deterministic():
    # 2**20 values per chunk: 300000 rows x 8 features is three chunks.
    X1 = make_blobs(300_000, 8, 3, random_state=11, dtype=np.float32)
    X2 = make_blobs(300_000, 8, 3, random_state=11, dtype=np.float32)
    assert X1.shape == (300_000, 8)
    np.testing.assert_array_equal(X1, X2)
    # every chunk has noise around the centres, not a repeated or empty block
    assert len(np.unique(X1[:, 0])) > 290_000


@pytest.mark.parametrize("argument", ["n_samples", "n_features", "n_clusters"])
@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True, None])
def test_blobs_rejects_counts_that_are_not_positive_integers(argument, bad):
    with pytest.raises(ValueError, match=f"{argument} must be a positive integer"):
        make_blobs(**{argument: bad})


def test_blobs_accepts_numpy_integers():
    assert make_blobs(np.int64(20), np.int32(3), np.int16(2), random_state=0).shape == (20, 3)


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, "1"])
def test_blobs_rejects_a_bad_cluster_std(bad):
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(cluster_std=bad)


@pytest.mark.parametrize("bad", [np.int64, np.float16, "complex128", "not a dtype", None])
def test_blobs_rejects_dtypes_other_than_float32_and_float64(bad):
    with pytest.raises(ValueError, match="dtype must be"):
        make_blobs(dtype=bad)


# -- flights ----------------------------------------------------------------------------


def test_flights_has_the_documented_columns_and_dtypes():
    flights = load_flights()
    assert flights.shape == (40_000, 12)
    assert flights.index.equals(pd.RangeIndex(40_000))
    assert flights.columns.tolist() == [
        "month",
        "day",
        "weekday",
        "hour",
        "minute",
        "dep_delay",
        "arr_delay",
        "air_time",
        "distance",
        "carrier",
        "origin",
        "dest",
    ]
    for column in ("month", "day", "weekday", "hour", "minute", *FLIGHT_FEATURES):
        assert flights[column].dtype == np.int64, column
    for column in ("carrier", "origin", "dest"):
        assert isinstance(flights[column].dtype, pd.CategoricalDtype), column


def test_flights_have_no_missing_values_and_plausible_ranges():
    flights = load_flights()
    assert not flights.isna().any().any()
    assert flights["month"].between(1, 12).all() and set(flights["month"]) == set(range(1, 13))
    assert flights["weekday"].between(0, 6).all()
    assert flights["hour"].between(0, 23).all() and flights["minute"].between(0, 59).all()
    assert (flights["air_time"] > 0).all() and (flights["distance"] > 0).all()
    assert sorted(flights["origin"].unique()) == ["EWR", "JFK", "LGA"]
    # air_time and distance were not swapped: jets cover 1.5 to 10 miles a minute
    speed = flights["distance"] / flights["air_time"]
    assert speed.between(1.5, 10).all() and 5 < speed.median() < 8


def test_flights_weekday_is_the_weekday_of_the_2013_date():
    import datetime

    flights = load_flights().sample(500, random_state=0)
    expected = [datetime.date(2013, m, d).weekday() for m, d in zip(flights["month"], flights["day"])]
    assert flights["weekday"].tolist() == expected


def test_flights_numeric_only_is_the_float_features():
    features = load_flights(numeric_only=True)
    assert features.columns.tolist() == list(FLIGHT_FEATURES)
    assert (features.dtypes == np.float64).all()
    assert np.isfinite(features.to_numpy()).all()


def test_flights_data_file_ships_inside_the_package_and_is_small():
    from importlib import resources
    from pathlib import Path

    import somnium

    data_file = Path(str(resources.files("somnium.datasets").joinpath("data", "flights.csv.gz")))
    # hatch puts everything under somnium/ into the wheel
    assert data_file.is_file() and Path(somnium.__file__).parent in data_file.parents
    assert data_file.stat().st_size < 1_500_000
