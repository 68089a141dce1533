import warnings

import numpy as np
import pytest

from somnium.exceptions import LatticeTypeNotFound
from somnium.lattice import LATTICES, Lattice, minimum_image_distance
from tests.support.reference import brute_distances, cell_centres

SIZES = [(4, 5), (5, 4), (6, 7), (3, 3), (1, 5), (7, 2)]


def lattice(rows, cols, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Lattice(rows, cols, name)


def test_hand_checked_inner_hex_neighbours():
    assert sorted(lattice(3, 4, "hexa").neighbors_of(5)) == [1, 2, 4, 6, 9, 10]
    # odd row 1, col 1 (x = 1.5): neighbours in rows 0 and 2 at columns 1 and 2
    assert sorted(lattice(3, 4, "hexa").neighbors_of(5)) == [1, 2, 4, 6, 9, 10]
    # even row 2, col 1 (x = 1): rows 1 and 3 at columns 0 and 1
    assert sorted(lattice(4, 4, "hexa").neighbors_of(9)) == [4, 5, 8, 10, 12, 13]


def test_hex_corner_and_edge_degrees():
    lat = lattice(4, 5, "hexa")
    assert sorted(lat.neighbors_of(0)) == [1, 5]  # top-left corner (even row)
    assert sorted(lat.neighbors_of(4)) == [3, 8, 9]  # top-right corner
    assert sorted(lat.neighbors_of(15)) == [10, 11, 16]  # bottom-left corner (odd row, x = 0.5)
    assert sorted(lat.neighbors_of(19)) == [14, 18]
    assert lat.degree.max() == 6


def test_rect_degrees_corners_edges_inner():
    lat = lattice(4, 5, "rect")
    assert lat.degree[0] == 2 and lat.degree[2] == 3 and lat.degree[7] == 4
    assert np.bincount(lat.degree).tolist() == [0, 0, 4, 10, 6]


def test_wrap_seams_by_hand():
    assert sorted(lattice(4, 5, "toroidal_rect").neighbors_of(0)) == [1, 4, 5, 15]
    assert sorted(lattice(4, 5, "cylindrical_rect").neighbors_of(0)) == [1, 4, 5]
    assert sorted(lattice(4, 5, "toroidal_hexa").neighbors_of(0)) == [1, 4, 5, 9, 15, 19]
    assert sorted(lattice(4, 5, "cylindrical_hexa").neighbors_of(0)) == [1, 4, 5, 9]


@pytest.mark.parametrize("name", ["toroidal_hexa", "toroidal_rect"])
def test_torus_is_regular(name):
    lat = lattice(6, 8, name)
    assert set(lat.degree) == {6 if name.endswith("hexa") else 4}


def test_odd_row_hex_torus_is_regular_and_warns():
    with pytest.warns(RuntimeWarning, match="odd number of rows"):
        lat = Lattice(7, 6, "toroidal_hexa")
    assert set(lat.degree) == {6}


def test_cylinder_degrees():
    lat = lattice(6, 8, "cylindrical_hexa")
    assert np.bincount(lat.degree).tolist() == [0, 0, 0, 0, 16, 0, 32]


@pytest.mark.parametrize("name", list(LATTICES))
@pytest.mark.parametrize("rows,cols", SIZES)
def test_distances_match_brute_force_images(name, rows, cols):
    lat = lattice(rows, cols, name)
    np.testing.assert_allclose(lat.distance_matrix(), brute_distances(rows, cols, name), atol=1e-12)


@pytest.mark.parametrize("name", list(LATTICES))
@pytest.mark.parametrize("rows,cols", [(4, 5), (5, 6), (6, 6)])
def test_neighbours_are_exactly_the_nodes_at_distance_one(name, rows, cols):
    lat = lattice(rows, cols, name)
    ref = brute_distances(rows, cols, name)
    for i in range(lat.n_nodes):
        expected = sorted(j for j in range(lat.n_nodes) if j != i and abs(ref[i, j] - 1) < 1e-9)
        assert sorted(lat.neighbors_of(i)) == expected
    adjacency = lat.adjacency_matrix().toarray()
    assert (adjacency == adjacency.T).all()


@pytest.mark.parametrize("name", list(LATTICES))
def test_scalar_minimum_image_agrees_with_vectorised(name):
    lat = lattice(5, 6, name)
    coords = lat.coordinates
    for i in range(0, lat.n_nodes, 3):
        for j in range(lat.n_nodes):
            d = minimum_image_distance(
                coords[j, 0] - coords[i, 0],
                coords[j, 1] - coords[i, 1],
                lat.period_x or 0.0,
                lat.period_y or 0.0,
                0.5 if lat.twisted else 0.0,
            )
            assert d == pytest.approx(lat.distances_from(i)[j], abs=1e-12)


def test_coordinates_follow_the_documented_convention():
    lat = lattice(3, 4, "hexa")
    np.testing.assert_allclose(lat.coordinates, cell_centres(3, 4, "hexa"))
    assert lat.coordinates[5].tolist() == pytest.approx([1.5, np.sqrt(3) / 2])


@pytest.mark.parametrize("name", ["hexa", "rect"])
def test_neighbouring_cells_share_an_edge(name):
    lat = lattice(4, 5, name)
    verts = lat.cell_vertices()
    for i in range(lat.n_nodes):
        for j in lat.neighbors_of(i):
            shared = sum(
                np.isclose(np.linalg.norm(verts[j] - v, axis=1), 0, atol=1e-12).any() for v in verts[i]
            )
            assert shared == 2


def test_unknown_lattice_lists_valid_names():
    with pytest.raises(LatticeTypeNotFound, match="toroidal_hexa"):
        Lattice(3, 3, "hexagon")
    with pytest.raises(ValueError):
        Lattice(0, 3, "hexa")
