"""The Palmer penguins data set, bundled with the package."""

from __future__ import annotations

from importlib import resources

__all__ = ["PENGUIN_MEASUREMENTS", "load_penguins"]

#: the four numeric measurement columns
PENGUIN_MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")

_CATEGORIES = {
    "species": ["Adelie", "Chinstrap", "Gentoo"],
    "island": ["Biscoe", "Dream", "Torgersen"],
    "sex": ["female", "male"],
}


def load_penguins(dropna: bool = True, numeric_only: bool = False):
    """Load the Palmer penguins measurements as a DataFrame.

    Size measurements of 344 Adelie, Chinstrap and Gentoo penguins from three
    islands of the Palmer Archipelago, Antarctica (Gorman, Williams & Fraser,
    2014; Horst, Hill & Gorman, 2020).  Public domain (CC0); see
    ``somnium/datasets/data/README.md``.

    Parameters
    ----------
    dropna : bool, default True
        Drop the rows with a missing measurement (2 rows, leaving 342).  Rows
        whose only gap is ``sex`` (9 of them) are kept.
    numeric_only : bool, default False
        Return only the four measurement columns :data:`PENGUIN_MEASUREMENTS`
        (float64), ready to train a map on.

    Returns
    -------
    pandas.DataFrame
        Columns ``species``, ``island`` (categorical), ``bill_length_mm``,
        ``bill_depth_mm``, ``flipper_length_mm``, ``body_mass_g`` (float64),
        ``sex`` (categorical, may be missing) and ``year`` (int64), with a
        fresh ``RangeIndex``.

    Raises
    ------
    ImportError
        If pandas is not installed.

    Examples
    --------
    >>> penguins = load_penguins()
    >>> penguins.shape
    (342, 8)
    >>> load_penguins(numeric_only=True).columns.tolist()
    ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("load_penguins needs pandas: pip install pandas (or the 'pandas' extra)") from None

    source = resources.files(__package__).joinpath("data", "penguins.csv")
    with source.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(
            handle,
            na_values=["NA"],
            keep_default_na=False,
            dtype={column: "float64" for column in PENGUIN_MEASUREMENTS},
        )
    for column, categories in _CATEGORIES.items():
        frame[column] = pd.Categorical(frame[column], categories=categories)
    if dropna:
        frame = frame.dropna(subset=list(PENGUIN_MEASUREMENTS)).reset_index(drop=True)
    if numeric_only:
        frame = frame[list(PENGUIN_MEASUREMENTS)].copy()
    return frame
