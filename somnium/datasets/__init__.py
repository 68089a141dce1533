"""Small datasets for examples, tests and benchmarks.

Everything ships with the package or is generated locally; nothing is
downloaded at run time.

- :func:`load_penguins` -- the Palmer penguins measurements (344 birds, CC0).
- :func:`make_blobs` -- seeded Gaussian clusters of any size.
"""

from .penguins import PENGUIN_MEASUREMENTS, load_penguins
from .synthetic import make_blobs

__all__ = ["PENGUIN_MEASUREMENTS", "load_penguins", "make_blobs"]
