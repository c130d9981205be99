"""F.embedding, nn.Embedding and F.one_hot: lookups against numpy indexing, gradients
against finite differences, padding_idx, max_norm, dtypes, reprs and errors."""

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

IDX = np.array([[0, 2, 2], [4, 1, 0]])


def test_lookup_values_and_gradients_add_up_repeated_rows():
    idx = Tensor(IDX)
    check_op(lambda w: F.embedding(idx, w), (5, 3), ref=lambda w: w[IDX])


def test_padding_idx_output_zero_and_no_gradient():
    idx = Tensor(IDX)

    def ref(w):
        out = w[IDX].copy()
        out[IDX == 2] = 0
        return out

    w = np.random.default_rng(0).standard_normal((5, 3))
    wt = Tensor(w, requires_grad=True)
    y = F.embedding(idx, wt, padding_idx=2)
    np.testing.assert_array_equal(y.data, ref(w))
    y.sum().backward()
    counts = np.bincount(IDX[IDX != 2], minlength=5)
    np.testing.assert_array_equal(wt.grad, np.repeat(counts[:, None], 3, axis=1))
    np.testing.assert_array_equal(F.embedding(idx, wt, padding_idx=-3).data, y.data)


def test_max_norm_renormalises_the_rows_looked_up_in_place():
    w = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [0.0, 2.0]])
    wt = Tensor(w.copy(), requires_grad=True)
    version = wt._version_counter.value
    y = F.embedding(Tensor(np.array([0, 1, 1])), wt, max_norm=1.0)
    scaled = w[0] / (5.0 + 1e-7)
    np.testing.assert_allclose(wt.data[0], scaled)
    np.testing.assert_array_equal(wt.data[1:], w[1:])  # under max_norm, or not looked up
    np.testing.assert_allclose(y.data, [scaled, w[1], w[1]])
    assert wt._version_counter.value == version + 1
    y.sum().backward()
    np.testing.assert_array_equal(wt.grad, [[1, 1], [2, 2], [0, 0], [0, 0]])
    F.embedding(Tensor(np.array([2])), wt, max_norm=2.0, norm_type=1.0)
    np.testing.assert_allclose(wt.data[2], w[2] * 2.0 / (14.0 + 1e-7))


def test_dtype_and_shape():
    w32 = Tensor(np.arange(6, dtype=np.float32).reshape(3, 2))
    y = F.embedding(Tensor(np.array(1)), w32)
    assert y.shape == (2,) and y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [2.0, 3.0])
    assert F.embedding(Tensor(np.zeros((0, 4), np.int64)), w32).shape == (0, 4, 2)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((Tensor(np.array([0.0, 1.0])),), {}, TypeError, "int64"),
        ((np.array([0, 1]),), {}, TypeError, "input_"),
        ((Tensor(np.array([0, 5])),), {}, ValueError, "index 5"),
        ((Tensor(np.array([-1, 0])),), {}, ValueError, "index -1"),
        ((Tensor(np.array([0])),), {"padding_idx": 5}, ValueError, "padding_idx"),
        ((Tensor(np.array([0])),), {"padding_idx": 1.0}, TypeError, "padding_idx"),
        ((Tensor(np.array([0])),), {"max_norm": -1.0}, ValueError, "max_norm"),
        ((Tensor(np.array([0])),), {"norm_type": 0}, ValueError, "norm_type"),
    ],
)
def test_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        F.embedding(*args, Tensor(np.ones((5, 2))), **kwargs)


def test_weight_errors():
    with pytest.raises(TypeError, match="weight"):
        F.embedding(Tensor(np.array([0])), Tensor(np.ones(5)))
    with pytest.raises(TypeError, match="weight"):
        F.embedding(Tensor(np.array([0])), Tensor(np.ones((5, 2), np.int64)))


def test_layer_init_repr_and_forward():
    lucid.random.seed(0)
    layer = nn.Embedding(10, 3, padding_idx=1)
    assert repr(layer) == (
        "Embedding(num_embeddings=10, embedding_dim=3, padding_idx=1, max_norm=None, norm_type=2.0)"
    )
    w = layer.weight.data
    assert w.shape == (10, 3) and w.dtype == np.float64
    assert np.all(np.abs(w) <= 0.1) and np.all(w[1] == 0) and np.ptp(w[[0, *range(2, 10)]]) > 0.1
    y = layer(Tensor(IDX))
    assert y.shape == (2, 3, 3)
    np.testing.assert_array_equal(y.data, w[IDX])
    y.sum().backward()
    assert layer.weight.grad[1].sum() == 0 and layer.weight.grad[0].sum() == 6


def test_layer_given_weight_and_negative_padding():
    w = np.arange(8.0).reshape(4, 2)
    layer = nn.Embedding(4, 2, padding_idx=-1, max_norm=100.0, _weight=Tensor(w))
    assert layer.padding_idx == 3 and isinstance(layer.weight, nn.Parameter)
    np.testing.assert_array_equal(layer.weight.data, w)  # a given weight is kept as is
    np.testing.assert_array_equal(layer(Tensor(np.array([3, 2]))).data, [[0, 0], [4, 5]])
    with pytest.raises(ValueError, match="_weight"):
        nn.Embedding(4, 3, _weight=Tensor(w))


def test_layer_dtype_and_argument_errors():
    lucid.set_default_dtype(lucid.Float32)
    try:
        assert nn.Embedding(3, 2).weight.dtype == np.float32
    finally:
        lucid.set_default_dtype(lucid.Float64)
    with pytest.raises(ValueError, match="num_embeddings"):
        nn.Embedding(0, 2)
    with pytest.raises(TypeError, match="embedding_dim"):
        nn.Embedding(3, 2.5)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


def test_one_hot():
    y = F.one_hot(Tensor(np.array([[0, 2], [1, 2]])))
    assert y.shape == (2, 2, 3) and y.dtype == np.int64 and not y.requires_grad
    np.testing.assert_array_equal(y.data, np.eye(3, dtype=np.int64)[[[0, 2], [1, 2]]])
    y = F.one_hot(Tensor(np.array([1])), 4, dtype=lucid.Float32)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [[0, 1, 0, 0]])
    assert F.one_hot(Tensor(np.array([0, 1])), dtype=bool).dtype == np.bool_
    assert F.one_hot(Tensor(np.zeros(0, np.int64)), 2).shape == (0, 2)


@pytest.mark.parametrize(
    ("values", "kwargs", "error", "match"),
    [
        (np.array([0.0, 1.0]), {}, TypeError, "int64"),
        (np.array([0, 3]), {"num_classes": 3}, ValueError, "index 3"),
        (np.array([-1]), {"num_classes": 3}, ValueError, "index -1"),
        (np.array([0]), {"num_classes": 0}, ValueError, "num_classes"),
        (np.array([0]), {"num_classes": 2.0}, TypeError, "num_classes"),
        (np.zeros(0, np.int64), {}, ValueError, "empty"),
        (np.array([0]), {"dtype": lucid.Int8}, TypeError, "dtype"),
    ],
)
def test_one_hot_errors(values, kwargs, error, match):
    with pytest.raises(error, match=match):
        F.one_hot(Tensor(values), **kwargs)
