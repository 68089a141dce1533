import warnings

import numpy as np
import pytest

from somnium.exceptions import NeighborhoodFunctionNotFound
from somnium.lattice import LATTICES, Lattice
from somnium.neighborhood import NEIGHBORHOODS, NeighborhoodOperator
from tests.support.reference import brute_distances, kernel_value

SIZES = [(6, 7), (7, 6), (2, 5), (1, 4), (8, 9)]
RADII = [0.5, 1.0, 1.7, 3.0, 9.0]


def applicable_methods(name, lat):
    methods = ["dense"]
    if name in ("gaussian", "mexican_hat"):
        if not lat.twisted:
            methods.append("separable")
    elif not lat.odd_row_torus:
        methods.append("stencil")
    return methods


# every lattice with the even rows shifted (the default), and the hexagonal ones with the odd rows
# shifted too (Somnium's model files of format <= 2)
GEOMETRIES = [(name, "even") for name in LATTICES] + [(n, "odd") for n in LATTICES if n.endswith("hexa")]


@pytest.mark.parametrize("lattice_name,shifted_rows", GEOMETRIES)
@pytest.mark.parametrize("neighborhood", list(NEIGHBORHOODS))
@pytest.mark.parametrize("rows,cols", SIZES)
def test_every_method_equals_a_dense_kernel_from_brute_force_distances(
    lattice_name, shifted_rows, neighborhood, rows, cols
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lat = Lattice(rows, cols, lattice_name, shifted_rows=shifted_rows)
    values = np.random.default_rng(1).normal(size=(lat.n_nodes, 3))
    distances = brute_distances(rows, cols, lattice_name, shifted_rows)
    for method in applicable_methods(neighborhood, lat):
        op = NeighborhoodOperator(lat, neighborhood, method)
        for radius in RADII:
            expected = kernel_value(neighborhood, distances, radius) @ values
            np.testing.assert_allclose(op.smooth(values, radius), expected, atol=1e-10, rtol=1e-10)


def test_auto_method_never_uses_a_dense_kernel_on_large_maps():
    lat = Lattice(100, 100, "hexa")
    assert NeighborhoodOperator(lat, "gaussian").method == "separable"
    assert NeighborhoodOperator(lat, "mexican_hat").method == "separable"
    assert NeighborhoodOperator(lat, "bubble").method == "stencil"
    assert NeighborhoodOperator(Lattice(10, 10, "hexa"), "bubble").method == "dense"


def test_large_stencil_matches_a_row_of_the_dense_kernel():
    lat = Lattice(60, 70, "toroidal_hexa")
    op = NeighborhoodOperator(lat, "epanechicov")
    assert op.method == "stencil"
    values = np.random.default_rng(2).normal(size=(lat.n_nodes, 2))
    got = op.smooth(values, 4.5)
    probe = [0, 69, 1234, lat.n_nodes - 1]
    dense_rows = np.maximum(0.0, 1 - (lat.distance_matrix(probe) / 4.5) ** 2)
    np.testing.assert_allclose(got[probe], dense_rows @ values, atol=1e-10)


def test_unknown_neighbourhood_lists_valid_names():
    with pytest.raises(NeighborhoodFunctionNotFound, match="epanechicov"):
        NeighborhoodOperator(Lattice(3, 3), "triangle")
