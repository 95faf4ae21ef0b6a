import numpy as np

from mousescore.numerics.projection import clear_cache, project, sparse_projection_matrix


def test_same_seed_same_projection_and_different_seed_differs():
    a = sparse_projection_matrix(5000, 256, seed=0)
    clear_cache()
    b = sparse_projection_matrix(5000, 256, seed=0)
    c = sparse_projection_matrix(5000, 256, seed=1)
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0


def test_matrix_follows_li_et_al_distribution():
    p, k = 10000, 512
    matrix = sparse_projection_matrix(p, k, seed=3)
    density = 1 / np.sqrt(p)
    assert abs(matrix.nnz / (p * k) - density) < 0.05 * density
    scale = np.sqrt(1 / density) / np.sqrt(k)
    np.testing.assert_allclose(np.unique(np.abs(matrix.data)), [scale], rtol=1e-6)
    assert abs(np.mean(matrix.data > 0) - 0.5) < 0.01
    rows = matrix.tocsr()  # rows are components
    for i in range(5):  # no repeated feature within a component
        indices = rows.indices[rows.indptr[i]:rows.indptr[i + 1]]
        assert len(np.unique(indices)) == len(indices)


def test_projection_is_the_matrix_product_and_preserves_distances():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(20, 3000)).astype(np.float32)
    projected = project(features, n_components=2048, seed=0)
    dense = sparse_projection_matrix(3000, 2048, 0).toarray()
    np.testing.assert_allclose(projected, features @ dense.T, rtol=1e-4, atol=1e-3)
    original = np.linalg.norm(features[:, None] - features[None], axis=-1)[np.triu_indices(20, 1)]
    kept = np.linalg.norm(projected[:, None] - projected[None], axis=-1)[np.triu_indices(20, 1)]
    assert np.abs(kept / original - 1).max() < 0.15  # Johnson-Lindenstrauss at k = 2048


def test_projecting_a_few_rows_at_a_time_changes_nothing(monkeypatch):
    from mousescore.numerics import projection
    features = np.random.default_rng(1).normal(size=(13, 2000)).astype(np.float32)
    whole = projection.project(features, 64, 0)
    monkeypatch.setattr(projection, "CHUNK_BYTES", 3 * 4 * 2000)     # three rows per product
    assert np.array_equal(projection.project(features, 64, 0), whole)
    matrix = projection.sparse_projection_matrix(2000, 64, 0)
    assert np.array_equal(whole, np.asarray((matrix @ features.T).T))


def test_read_only_and_strided_rows_project_like_contiguous_ones():
    """The rows are transposed into a reused buffer by torch, or by numpy where torch cannot wrap
    them; the product is the same either way."""
    features = np.random.default_rng(2).normal(size=(9, 3001)).astype(np.float32)
    expected = np.asarray((sparse_projection_matrix(3000, 64, 0) @ features[:, 1:].T).T)
    read_only = features[:, 1:].copy()
    read_only.flags.writeable = False
    for rows in (features[:, 1:], read_only, np.ascontiguousarray(features[::-1, 1:])[::-1]):
        assert np.array_equal(project(rows, 64, 0), expected)
