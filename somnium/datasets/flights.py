"""A sample of the NYC 2013 flights (nycflights13), bundled with the package."""

from __future__ import annotations

from importlib import resources

__all__ = ["FLIGHT_FEATURES", "load_flights"]

#: numeric columns that describe a flight (no NaN; ready to train a map on)
FLIGHT_FEATURES = ("dep_delay", "arr_delay", "air_time", "distance", "hour")

_INTEGER_COLUMNS = (
    "month",
    "day",
    "weekday",
    "hour",
    "minute",
    "dep_delay",
    "arr_delay",
    "air_time",
    "distance",
)
_CATEGORICAL_COLUMNS = ("carrier", "origin", "dest")


def load_flights(numeric_only: bool = False):
    """Load 40,000 flights that departed New York City in 2013 as a DataFrame.

    A seeded random sample of the ``flights`` table of nycflights13 (every
    domestic flight out of JFK, LGA and EWR in 2013; US Bureau of
    Transportation Statistics via Hadley Wickham's R package).  Public domain
    (CC0); see ``somnium/datasets/data/README.md`` for the exact recipe.
    Cancelled and diverted flights (no departure delay, arrival delay or air
    time: 9,430 of 336,776) were dropped before sampling, so no column has a
    missing value.

    Parameters
    ----------
    numeric_only : bool, default False
        Return only the columns :data:`FLIGHT_FEATURES` as float64, ready to
        train a map on.

    Returns
    -------
    pandas.DataFrame
        40,000 rows with a fresh ``RangeIndex``, in date order:

        - ``month`` (1-12), ``day`` (1-31), ``weekday`` (0 = Monday ... 6 = Sunday),
          ``hour`` and ``minute`` of the *scheduled* departure (local time) -- int64;
        - ``dep_delay``, ``arr_delay`` -- delays in minutes, negative when early (int64);
        - ``air_time`` -- minutes in the air (int64); ``distance`` -- miles (int64);
        - ``carrier`` (two-letter airline code), ``origin`` (``EWR``, ``JFK``, ``LGA``),
          ``dest`` (FAA airport code) -- categorical.

    Raises
    ------
    ImportError
        If pandas is not installed.

    Examples
    --------
    >>> flights = load_flights()
    >>> flights.shape
    (40000, 12)
    >>> load_flights(numeric_only=True).columns.tolist()
    ['dep_delay', 'arr_delay', 'air_time', 'distance', 'hour']
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("load_flights needs pandas: pip install pandas (or the 'pandas' extra)") from None

    source = resources.files(__package__).joinpath("data", "flights.csv.gz")
    with source.open("rb") as handle:
        frame = pd.read_csv(
            handle,
            compression="gzip",
            keep_default_na=False,
            dtype={
                **{column: "int64" for column in _INTEGER_COLUMNS},
                **{column: "category" for column in _CATEGORICAL_COLUMNS},
            },
        )
    if numeric_only:
        return frame[list(FLIGHT_FEATURES)].astype("float64")
    return frame
