"""F.batch_norm and nn.BatchNorm1d/2d/3d: values against a numpy reference, gradients
against finite differences, train against eval, running-statistic updates, dtypes,
parameters and buffers, reprs and errors."""

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn


def ref_batch_norm(x, mean=None, var=None, w=None, b=None, eps=1e-5):
    """Per channel (axis 1) over every other axis; biased variance."""
    axes = (0, *range(2, x.ndim))
    view = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if mean is None:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    y = (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + eps)
    if w is not None:
        y = y * w.reshape(view)
    if b is not None:
        y = y + b.reshape(view)
    return y


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 2, 3), (2, 2, 2, 1, 3)])
def test_training_values_and_gradients(shape):
    check_op(
        lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
        shape,
        (shape[1],),
        (shape[1],),
        ref=lambda x, w, b: ref_batch_norm(x, w=w, b=b),
        atol=1e-5,
    )


def test_training_without_affine_gradient():
    check_op(lambda x: F.batch_norm(x), (3, 2, 4), ref=ref_batch_norm, atol=1e-5)


def test_eval_with_running_stats_values_and_gradients():
    mean = np.array([0.5, -1.0, 2.0])
    var = np.array([1.5, 0.25, 4.0])
    check_op(
        lambda x, w, b: F.batch_norm(
            x, Tensor(mean.astype(x.dtype)), Tensor(var.astype(x.dtype)), w, b, training=False
        ),
        (4, 3, 2),
        (3,),
        (3,),
        ref=lambda x, w, b: ref_batch_norm(x, mean, var, w, b),
    )


def test_running_stats_update_in_place_with_biased_variance():
    x = np.arange(24.0).reshape(2, 3, 4) ** 1.5
    rm, rv = Tensor(np.array([1.0, 2.0, 3.0])), Tensor(np.array([0.5, 1.0, 2.0]))
    before_m, before_v = rm.data.copy(), rv.data.copy()
    version = rm._version_counter.value
    F.batch_norm(Tensor(x), rm, rv, momentum=0.3)
    axes = (0, 2)
    np.testing.assert_allclose(rm.data, 0.7 * before_m + 0.3 * x.mean(axis=axes))
    np.testing.assert_allclose(rv.data, 0.7 * before_v + 0.3 * x.var(axis=axes))
    assert rm._version_counter.value == version + 1


def test_eval_leaves_running_stats_alone_and_training_false_uses_them():
    rm, rv = Tensor(np.array([1.0, -1.0])), Tensor(np.array([4.0, 0.25]))
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    y = F.batch_norm(Tensor(x), rm, rv, training=False)
    np.testing.assert_allclose(y.data, ref_batch_norm(x, rm.data, rv.data))
    np.testing.assert_array_equal(rm.data, [1.0, -1.0])
    np.testing.assert_array_equal(rv.data, [4.0, 0.25])


def test_no_running_stats_in_eval_means_batch_stats():
    x = np.array([[1.0, 2.0], [3.0, 6.0], [0.0, -1.0]])
    np.testing.assert_allclose(F.batch_norm(Tensor(x), training=False).data, ref_batch_norm(x))


def test_float32_stays_float32_and_float64_weight_promotes():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    y = F.batch_norm(Tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, ref_batch_norm(x.astype(np.float64)), rtol=1e-5)
    assert F.batch_norm(Tensor(x), weight=Tensor(np.ones(3))).dtype == np.float64
    rm32, rv32 = Tensor(np.zeros(3, np.float32)), Tensor(np.ones(3, np.float32))
    assert F.batch_norm(Tensor(x), rm32, rv32, training=False).dtype == np.float32
    F.batch_norm(Tensor(x.astype(np.float64)), rm32, rv32)
    assert rm32.dtype == np.float32 and rv32.dtype == np.float32  # buffers keep their dtype


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_": np.ones((2, 3))}, TypeError, "input_"),
        ({"input_": Tensor(np.ones(3))}, ValueError, "at least 2"),
        ({"weight": Tensor(np.ones(2))}, ValueError, "weight must have shape"),
        ({"bias": np.ones(3)}, TypeError, "bias"),
        ({"running_mean": Tensor(np.zeros(3))}, ValueError, "together"),
        ({"momentum": "0.1"}, TypeError, "momentum"),
        ({"eps": -1.0}, ValueError, "eps"),
        ({"input_": Tensor(np.ones((2, 3), np.int64))}, TypeError, "float32 or float64"),
    ],
)
def test_errors(kwargs, error, match):
    args = {"input_": Tensor(np.ones((2, 3)))} | kwargs
    with pytest.raises(error, match=match):
        F.batch_norm(**args)


# ---- the layers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "shape"),
    [
        (nn.BatchNorm1d, (4, 3)),
        (nn.BatchNorm1d, (2, 3, 5)),
        (nn.BatchNorm2d, (2, 3, 2, 2)),
        (nn.BatchNorm3d, (2, 3, 2, 1, 2)),
    ],
)
def test_layer_train_then_eval(cls, shape):
    x = np.random.default_rng(0).standard_normal(shape) * 2 + 1
    layer = cls(3, momentum=0.2)
    assert layer.training
    y = layer(Tensor(x))
    np.testing.assert_allclose(y.data, ref_batch_norm(x), atol=1e-12)
    axes = (0, *range(2, x.ndim))
    np.testing.assert_allclose(layer.running_mean.data, 0.2 * x.mean(axis=axes))
    np.testing.assert_allclose(layer.running_var.data, 0.8 + 0.2 * x.var(axis=axes))
    layer.eval()
    y = layer(Tensor(x))
    expected = ref_batch_norm(x, layer.running_mean.data, layer.running_var.data)
    np.testing.assert_allclose(y.data, expected, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.data, 0.2 * x.mean(axis=axes))


def test_layer_parameters_buffers_and_state_dict():
    layer = nn.BatchNorm2d(4)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var"]
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    assert isinstance(layer.running_mean, nn.Buffer) and not layer.running_mean.requires_grad
    np.testing.assert_array_equal(layer.weight.data, np.ones(4))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(4))
    np.testing.assert_array_equal(layer.running_mean.data, np.zeros(4))
    np.testing.assert_array_equal(layer.running_var.data, np.ones(4))
    for t in [*layer.parameters(), *layer.buffers()]:
        assert t.dtype == np.float64


def test_layer_dtypes_follow_the_default_float():
    lucid.set_default_dtype(lucid.Float32)
    try:
        layer = nn.BatchNorm1d(2)
    finally:
        lucid.set_default_dtype(lucid.Float64)
    assert all(t.dtype == np.float32 for t in [*layer.parameters(), *layer.buffers()])
    assert layer(Tensor(np.ones((3, 2), np.float32))).dtype == np.float32


def test_layer_without_affine_or_tracking():
    layer = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert layer.weight is None and layer.bias is None
    assert layer.running_mean is None and list(layer.state_dict()) == []
    x = np.arange(12.0).reshape(4, 3) ** 2
    layer.eval()  # no running statistics: the batch's are used in eval too
    np.testing.assert_allclose(layer(Tensor(x)).data, ref_batch_norm(x))


def test_momentum_none_is_the_cumulative_average():
    layer = nn.BatchNorm1d(2, momentum=None)
    xs = [np.array([[1.0, 2.0], [3.0, 8.0]]), np.array([[5.0, 0.0], [9.0, 2.0]])]
    for x in xs:
        layer(Tensor(x))
    np.testing.assert_allclose(layer.running_mean.data, np.mean([x.mean(0) for x in xs], 0))
    np.testing.assert_allclose(layer.running_var.data, np.mean([x.var(0) for x in xs], 0))
    assert "momentum=None" in repr(layer)


def test_layer_gradients_reach_weight_and_bias():
    layer = nn.BatchNorm1d(2)
    x = Tensor(np.array([[1.0, 2.0], [3.0, 7.0], [0.0, 1.0]]), requires_grad=True)
    (layer(x) * Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))).sum().backward()
    xhat = ref_batch_norm(x.data)
    np.testing.assert_allclose(layer.bias.grad, [9.0, 12.0])
    g = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_allclose(layer.weight.grad, (g * xhat).sum(0))
    assert x.grad is not None and x.grad.shape == (3, 2)


def test_reset_keeps_the_same_tensors():
    layer = nn.BatchNorm1d(2)
    weight, mean = layer.weight, layer.running_mean
    layer(Tensor(np.array([[1.0, 2.0], [3.0, 7.0]])))
    with lucid.no_grad():
        layer.weight.data[...] = 3.0
    layer.reset_parameters()
    assert layer.weight is weight and layer.running_mean is mean
    np.testing.assert_array_equal(weight.data, [1.0, 1.0])
    np.testing.assert_array_equal(mean.data, [0.0, 0.0])
    np.testing.assert_array_equal(layer.running_var.data, [1.0, 1.0])


def test_reprs():
    assert repr(nn.BatchNorm1d(3)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )
    assert repr(nn.BatchNorm2d(2, eps=0.001, momentum=0.5, affine=False)) == (
        "BatchNorm2d(2, eps=0.001, momentum=0.5, affine=False, track_running_stats=True)"
    )


@pytest.mark.parametrize(
    ("cls", "shape"),
    [(nn.BatchNorm1d, (2, 3, 4, 5)), (nn.BatchNorm2d, (2, 3, 4)), (nn.BatchNorm3d, (2, 3))],
)
def test_layer_refuses_other_ranks(cls, shape):
    with pytest.raises(ValueError, match="D input"):
        cls(3)(Tensor(np.ones(shape)))


def test_layer_argument_errors():
    with pytest.raises(TypeError, match="num_features"):
        nn.BatchNorm1d(2.0)
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm1d(2, eps=-1)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        nn.BatchNorm1d(2)(Tensor(np.ones((2, 3))))


def test_an_empty_batch_gives_an_empty_output_and_leaves_the_running_stats(strict_numpy):
    layer = nn.BatchNorm1d(3)
    x = Tensor(np.zeros((0, 3, 2)), requires_grad=True)
    y = layer(x)
    assert y.shape == (0, 3, 2)
    np.testing.assert_array_equal(layer.running_mean.data, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var.data, np.ones(3))
    y.sum().backward()
    assert x.grad.shape == (0, 3, 2)
    assert F.group_norm(Tensor(np.zeros((2, 4, 0))), 2).shape == (2, 4, 0)
