"""Synthetic data: seeded Gaussian clusters of any size."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_int

__all__ = ["make_blobs"]

#: cluster centres are drawn uniformly in this box along every feature
CENTER_BOX = (-10.0, 10.0)
# Rows are generated in chunks of about this many values to bound temporaries.
_CHUNK_VALUES = 1 << 20


def _check_positive_int(value, name: str) -> int:
    return check_int(value, name)


def make_blobs(
    n_samples: int = 1000,
    n_features: int = 8,
    n_clusters: int = 5,
    cluster_std: float = 1.0,
    random_state=None,
    return_labels: bool = False,
    dtype=np.float64,
):
    """Isotropic Gaussian clusters around centres drawn in a box.

    Cluster centres are drawn uniformly in ``[-10, 10]`` along every feature;
    each cluster gets ``n_samples // n_clusters`` rows (the first
    ``n_samples % n_clusters`` clusters one more), in random order.  Rows are
    written in chunks into one preallocated array, so the peak memory is about
    the result plus 4 bytes per row for the labels: millions of rows are fine,
    and ``dtype=np.float32`` halves the footprint.

    Parameters
    ----------
    n_samples : int, default 1000
        Number of rows.
    n_features : int, default 8
        Number of columns.
    n_clusters : int, default 5
        Number of clusters.
    cluster_std : float, default 1.0
        Standard deviation of every cluster along every feature (>= 0).
    random_state : None, int, numpy.random.Generator or SeedSequence
        Seed; the same seed gives the same data.
    return_labels : bool, default False
        Also return the cluster of every row.
    dtype : {numpy.float64, numpy.float32}
        Data type of the returned array.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,), int32
        Cluster index in ``[0, n_clusters)``; only if ``return_labels``.

    Raises
    ------
    ValueError
        If a count is not a positive integer, ``cluster_std`` is negative or
        not finite, or ``dtype`` is not float32/float64.

    Examples
    --------
    >>> X, labels = make_blobs(n_samples=600, n_features=3, n_clusters=4,
    ...                        random_state=0, return_labels=True)
    >>> X.shape, labels.shape, sorted(set(labels.tolist()))
    ((600, 3), (600,), [0, 1, 2, 3])
    """
    n_samples = _check_positive_int(n_samples, "n_samples")
    n_features = _check_positive_int(n_features, "n_features")
    n_clusters = _check_positive_int(n_clusters, "n_clusters")
    if (
        isinstance(cluster_std, bool)
        or not isinstance(cluster_std, numbers.Real)
        or not (np.isfinite(cluster_std) and cluster_std >= 0)
    ):
        raise ValueError(f"cluster_std must be a finite number >= 0, got {cluster_std!r}")
    try:
        # np.dtype(None) is float64, so None is rejected explicitly.
        valid_dtype = dtype is not None and np.dtype(dtype).type in (np.float32, np.float64)
    except TypeError:
        valid_dtype = False
    if not valid_dtype:
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}")
    dtype = np.dtype(dtype)

    rng = np.random.default_rng(random_state)
    centers = rng.uniform(*CENTER_BOX, size=(n_clusters, n_features)).astype(dtype)
    labels = np.repeat(
        np.arange(n_clusters, dtype=np.int32),
        [n_samples // n_clusters + (cluster < n_samples % n_clusters) for cluster in range(n_clusters)],
    )
    rng.shuffle(labels)

    X = np.empty((n_samples, n_features), dtype=dtype)
    chunk_rows = max(1, _CHUNK_VALUES // n_features)
    for start in range(0, n_samples, chunk_rows):
        block = X[start : start + chunk_rows]
        rng.standard_normal(dtype=dtype, out=block)
        block *= dtype.type(cluster_std)
        block += centers[labels[start : start + chunk_rows]]
    return (X, labels) if return_labels else X
