"""Small datasets for examples, tests and benchmarks.

Everything ships with the package or is generated locally; nothing is
downloaded at run time.

- :func:`load_penguins` -- the Palmer penguins measurements (344 birds, CC0).
- :func:`load_flights` -- 40,000 NYC flights of 2013 (nycflights13, CC0).
- :func:`make_blobs` -- seeded Gaussian clusters of any size.
"""

from .flights import FLIGHT_FEATURES, load_flights
from .penguins import PENGUIN_MEASUREMENTS, load_penguins
from .synthetic import make_blobs

__all__ = ["FLIGHT_FEATURES", "PENGUIN_MEASUREMENTS", "load_flights", "load_penguins", "make_blobs"]
