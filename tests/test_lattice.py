import pickle
import warnings

import numpy as np
import pytest

from somnium.exceptions import LatticeTypeNotFound
from somnium.lattice import LATTICES, Lattice, minimum_image_distance
from tests.support.reference import brute_distances, cell_centres

SIZES = [(4, 5), (5, 4), (6, 7), (3, 3), (1, 5), (7, 2)]


def lattice(rows, cols, name, shifted_rows="even"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Lattice(rows, cols, name, shifted_rows=shifted_rows)


def test_hand_checked_inner_hex_neighbours():
    # odd row 1, col 1 (x = 1, unshifted): neighbours in rows 0 and 2 (shifted) at columns 0 and 1
    assert sorted(lattice(3, 4, "hexa").neighbors_of(5)) == [0, 1, 4, 6, 8, 9]
    # even row 2, col 1 (x = 1.5): rows 1 and 3 at columns 1 and 2
    assert sorted(lattice(4, 4, "hexa").neighbors_of(9)) == [5, 6, 8, 10, 13, 14]
    # the original's own hand-picked case: 7 x 8, node 14 (row 1, col 6)
    assert sorted(lattice(7, 8, "hexa").neighbors_of(14)) == [5, 6, 13, 15, 21, 22]


def test_hand_checked_inner_hex_neighbours_with_odd_rows_shifted():
    # the convention of Somnium's model files of format <= 2
    assert sorted(lattice(3, 4, "hexa", "odd").neighbors_of(5)) == [1, 2, 4, 6, 9, 10]
    assert sorted(lattice(4, 4, "hexa", "odd").neighbors_of(9)) == [4, 5, 8, 10, 12, 13]


def test_hex_corner_and_edge_degrees():
    lat = lattice(4, 5, "hexa")
    assert sorted(lat.neighbors_of(0)) == [1, 5, 6]  # top-left corner (even row, x = 0.5)
    assert sorted(lat.neighbors_of(4)) == [3, 9]  # top-right corner
    assert sorted(lat.neighbors_of(15)) == [10, 16]  # bottom-left corner (odd row, x = 0)
    assert sorted(lat.neighbors_of(19)) == [13, 14, 18]
    assert lat.degree.max() == 6
    old = lattice(4, 5, "hexa", "odd")
    assert sorted(old.neighbors_of(0)) == [1, 5]
    assert sorted(old.neighbors_of(15)) == [10, 11, 16]


def test_rect_degrees_corners_edges_inner():
    lat = lattice(4, 5, "rect")
    assert lat.degree[0] == 2 and lat.degree[2] == 3 and lat.degree[7] == 4
    assert np.bincount(lat.degree).tolist() == [0, 0, 4, 10, 6]


def test_wrap_seams_by_hand():
    assert sorted(lattice(4, 5, "toroidal_rect").neighbors_of(0)) == [1, 4, 5, 15]
    assert sorted(lattice(4, 5, "cylindrical_rect").neighbors_of(0)) == [1, 4, 5]
    assert sorted(lattice(4, 5, "toroidal_hexa").neighbors_of(0)) == [1, 4, 5, 6, 15, 16]
    assert sorted(lattice(4, 5, "cylindrical_hexa").neighbors_of(0)) == [1, 4, 5, 6]
    assert sorted(lattice(4, 5, "toroidal_hexa", "odd").neighbors_of(0)) == [1, 4, 5, 9, 15, 19]
    assert sorted(lattice(4, 5, "cylindrical_hexa", "odd").neighbors_of(0)) == [1, 4, 5, 9]


@pytest.mark.parametrize("name", ["toroidal_hexa", "toroidal_rect"])
def test_torus_is_regular(name):
    lat = lattice(6, 8, name)
    assert set(lat.degree) == {6 if name.endswith("hexa") else 4}


def test_odd_row_hex_torus_with_odd_rows_shifted_is_twisted_regular_and_warns():
    with pytest.warns(RuntimeWarning, match="odd number of rows"):
        lat = Lattice(7, 6, "toroidal_hexa", shifted_rows="odd")
    assert lat.twisted and set(lat.degree) == {6}


def test_odd_row_hex_torus_behaves_as_the_originals_and_warns():
    # Rows 0 and 6 are both shifted: across the seam each node faces the node of its column only,
    # sqrt(3)/2 away, so the seam rows have five neighbours (the original's rule: distance <= 1).
    with pytest.warns(RuntimeWarning, match="5 neighbours"):
        lat = Lattice(7, 6, "toroidal_hexa")
    assert not lat.twisted and lat.odd_row_torus
    assert sorted(lat.neighbors_of(0)) == [1, 5, 6, 7, 36]
    assert lat.distances_from(0)[36] == pytest.approx(np.sqrt(3) / 2)
    degree = lat.degree.reshape(7, 6)
    assert set(degree[[0, 6]].ravel()) == {5} and set(degree[1:6].ravel()) == {6}


def test_shifted_rows_is_checked_and_part_of_the_identity():
    with pytest.raises(ValueError, match="shifted_rows"):
        Lattice(3, 3, "hexa", shifted_rows="left")
    assert Lattice(3, 3, "hexa") != Lattice(3, 3, "hexa", shifted_rows="odd")
    assert Lattice(3, 3, "rect") == Lattice(3, 3, "rect", shifted_rows="odd")  # no shifted rows
    assert Lattice(3, 3, "hexa").to_dict() == {"rows": 3, "cols": 3, "name": "hexa", "shifted_rows": "even"}
    assert Lattice(3, 3, "rect").to_dict() == {"rows": 3, "cols": 3, "name": "rect"}


@pytest.mark.parametrize("shifted_rows", ["even", "odd"])
@pytest.mark.parametrize("name", list(LATTICES))
def test_an_unpickled_lattice_is_the_same_geometry_shared_in_the_process(name, shifted_rows):
    """Dask sends the lattice with every task: it travels as its geometry, and the unpickled copies of
    one geometry are one instance (its neighbour table built once per process), silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = Lattice(7, 6, name, shifted_rows=shifted_rows)  # odd rows: the tori warn here
        reference = Lattice(7, 6, name, shifted_rows=shifted_rows)
    original.neighbors  # built here: a cached table must not travel
    payload = pickle.dumps(original)
    assert len(payload) < 300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first, second = pickle.loads(payload), pickle.loads(pickle.dumps(reference))
    assert first is second and first == original
    assert (first.is_hexagonal, first.wraps_x, first.wraps_y, first.twisted) == (
        original.is_hexagonal,
        original.wraps_x,
        original.wraps_y,
        original.twisted,
    )
    np.testing.assert_array_equal(first.neighbors, reference.neighbors)
    np.testing.assert_array_equal(first.coordinates, reference.coordinates)
    np.testing.assert_array_equal(first.distance_matrix(), reference.distance_matrix())


def test_cylinder_degrees():
    lat = lattice(6, 8, "cylindrical_hexa")
    assert np.bincount(lat.degree).tolist() == [0, 0, 0, 0, 16, 0, 32]


@pytest.mark.parametrize("shifted_rows", ["even", "odd"])
@pytest.mark.parametrize("name", list(LATTICES))
@pytest.mark.parametrize("rows,cols", SIZES)
def test_distances_match_brute_force_images(name, rows, cols, shifted_rows):
    lat = lattice(rows, cols, name, shifted_rows)
    np.testing.assert_allclose(
        lat.distance_matrix(), brute_distances(rows, cols, name, shifted_rows), atol=1e-12
    )


@pytest.mark.parametrize("shifted_rows", ["even", "odd"])
@pytest.mark.parametrize("name", list(LATTICES))
@pytest.mark.parametrize("rows,cols", [(4, 5), (5, 6), (6, 6), (1, 4), (3, 1)])
def test_neighbours_are_exactly_the_nodes_at_most_one_apart(name, rows, cols, shifted_rows):
    lat = lattice(rows, cols, name, shifted_rows)
    ref = brute_distances(rows, cols, name, shifted_rows)
    for i in range(lat.n_nodes):
        expected = sorted(j for j in range(lat.n_nodes) if j != i and ref[i, j] <= 1 + 1e-9)
        assert sorted(lat.neighbors_of(i)) == expected
    adjacency = lat.adjacency_matrix().toarray()
    assert (adjacency == adjacency.T).all()


@pytest.mark.parametrize("name", list(LATTICES))
@pytest.mark.parametrize("rows,cols", [(4, 5), (2, 2), (1, 3), (3, 2), (2, 6)])
def test_count_adjacent_counts_the_pairs_at_most_one_apart(name, rows, cols):
    """The passes' topographic-error count, against the brute-force distances on every pair of nodes
    (tiny wrapping maps reach a node over two seams: it still counts once)."""
    lat = lattice(rows, cols, name)
    ref = brute_distances(rows, cols, name, "even")
    a, b = np.divmod(np.arange(lat.n_nodes**2), lat.n_nodes)
    keep = a != b  # a BMU and a second BMU are never one node
    a, b = a[keep], b[keep]
    expected = int(sum(ref[i, j] <= 1 + 1e-9 for i, j in zip(a, b, strict=True)))
    assert lat.count_adjacent(a, b) == expected
    rng = np.random.default_rng(rows * 7 + cols)
    pick = rng.integers(0, len(a), size=50)
    assert lat.count_adjacent(a[pick], b[pick]) == int(sum(ref[a[i], b[i]] <= 1 + 1e-9 for i in pick))


@pytest.mark.parametrize("shifted_rows", ["even", "odd"])
@pytest.mark.parametrize("name", list(LATTICES))
def test_scalar_minimum_image_agrees_with_vectorised(name, shifted_rows):
    lat = lattice(5, 6, name, shifted_rows)
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
    assert lat.coordinates[0].tolist() == pytest.approx([0.5, 0.0])  # even rows shifted
    assert lat.coordinates[5].tolist() == pytest.approx([1.0, np.sqrt(3) / 2])
    old = lattice(3, 4, "hexa", "odd")
    np.testing.assert_allclose(old.coordinates, cell_centres(3, 4, "hexa", "odd"))
    assert old.coordinates[5].tolist() == pytest.approx([1.5, np.sqrt(3) / 2])


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
