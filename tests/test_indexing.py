"""lucid._ops.movement: where, concatenate, stack, and fancy indexing through GetItem."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, _storage

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])

# ---- where --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cond, shapes",
    [(MASK, [(3, 4), (3, 4)]), (MASK, [(3, 1), (4,)]), (MASK[0], [(3, 4), (3, 4)]),
     (MASK[:, :1], [(4,), (3, 4)]), (Tensor(MASK), [(3, 4), ()])],
    ids=["same", "both_broadcast", "row_condition", "column_condition", "tensor_condition"],
)  # fmt: skip
def test_where(cond, shapes):
    c = cond.data if isinstance(cond, Tensor) else cond
    check_op(lambda a, b: lucid.where(cond, a, b), *shapes, ref=lambda a, b: np.where(c, a, b))


def test_where_method_and_scalar_branches():
    check_op(lambda x: x.where(MASK, 0.0), (3, 4), ref=lambda x: np.where(MASK, x, 0.0))
    check_op(lambda x: lucid.where(MASK, -1, x), (3, 4), ref=lambda x: np.where(MASK, -1, x))
    assert lucid.where(MASK, Tensor(np.ones((3, 4))), 0.0).dtype == np.float64
    both = lucid.where([True, False], 1.0, 2)  # two Python numbers: the default float
    assert both.dtype == np.float64 and both.data.tolist() == [1.0, 2.0]
    x = Tensor([-1.0, 2.0], requires_grad=True)
    relu = lucid.where(x > 0, x, 0.0)
    relu.backward()
    np.testing.assert_array_equal(relu.data, [0.0, 2.0])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_where_errors():
    with pytest.raises(TypeError, match="condition must be a bool tensor or array, got dtype"):
        lucid.where(Tensor([1.0, 0.0]), Tensor([1.0, 2.0]), 0.0)
    with pytest.raises(ValueError, match=r"condition shape \(2,\), input_ shape \(3,\)"):
        lucid.where(np.array([True, False]), lucid.ones(3), 0.0)
    with pytest.raises(TypeError, match="where: other must be"):
        lucid.where(np.array([True]), lucid.ones(1), "x")


# ---- concatenate and stack ----------------------------------------------------------


@pytest.mark.parametrize(
    "shapes, axis",
    [([(2, 3), (4, 3)], 0), ([(2, 1, 3), (2, 4, 3), (2, 2, 3)], 1), ([(2, 3), (2, 1)], -1),
     ([(5,)], 0)],
)  # fmt: skip
def test_concatenate(shapes, axis):
    check_op(
        lambda *xs: lucid.concatenate(list(xs), axis=axis),
        *shapes,
        ref=lambda *xs: np.concatenate(xs, axis=axis),
    )


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack(axis):
    check_op(
        lambda a, b, c: lucid.stack((a, b, c), axis=axis),
        (2, 3), (2, 3), (2, 3),
        ref=lambda *xs: np.stack(xs, axis=axis),
    )  # fmt: skip


@pytest.mark.parametrize("join", [lucid.concatenate, lucid.stack])
def test_joins_promote_dtypes_and_cast_each_gradient_back(join):
    a = Tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    b = Tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    c = np.array([5, 6])  # an int array: no gradient, promoted like the rest
    out = join([a, b, c])
    assert out.dtype == np.float64 and _storage.is_storage_view(out.data)
    out.grad = np.arange(out.size, dtype=np.float64).reshape(out.shape)
    out.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [2.0, 3.0])


def test_concatenate_errors_name_the_shapes():
    expected = r"axis 1; tensors\[0\] has shape \(2, 3\) but tensors\[2\] has shape \(3, 3\)"
    with pytest.raises(ValueError, match=expected):
        lucid.concatenate([lucid.zeros(2, 3), lucid.zeros(2, 1), lucid.zeros(3, 3)], axis=1)
    with pytest.raises(ValueError, match=r"tensors\[1\] has shape \(6,\)"):
        lucid.concatenate([lucid.zeros(2, 3), lucid.zeros(6)])
    with pytest.raises(ValueError, match="0-d tensors"):
        lucid.concatenate([Tensor(1.0), Tensor(2.0)])
    with pytest.raises(ValueError, match="axis 2"):
        lucid.concatenate([lucid.zeros(2, 3)], axis=2)


def test_stack_errors_name_the_shapes():
    expected = r"tensors\[0\] has shape \(2,\) but tensors\[1\] has shape \(3,\)"
    with pytest.raises(ValueError, match=expected):
        lucid.stack([lucid.zeros(2), lucid.zeros(3)])
    with pytest.raises(ValueError, match="axis 3"):
        lucid.stack([lucid.zeros(2, 3)], axis=3)


@pytest.mark.parametrize("join", [lucid.concatenate, lucid.stack])
def test_joins_check_their_arguments(join):
    name = join.__name__
    with pytest.raises(TypeError, match=f"{name}: tensors must be a list or tuple.*got Tensor"):
        join(lucid.zeros(2, 3))
    with pytest.raises(TypeError, match="got generator"):
        join(t for t in [lucid.zeros(2)])
    with pytest.raises(ValueError, match=f"{name}: tensors is empty"):
        join([])
    with pytest.raises(TypeError, match=r"tensors\[1\] must be a Tensor or array-like, got None"):
        join([lucid.zeros(2), None])
    with pytest.raises(TypeError, match=f"{name}: axis must be an int, got 0.0"):
        join([lucid.zeros(2)], axis=0.0)


# ---- fancy indexing (GetItem) -------------------------------------------------------

LABELS = Tensor(np.array([2, 0, 2, 1]))


@pytest.mark.parametrize(
    "index",
    [np.array([[0, 1], [1, 1]]), [3, -1, 3], (slice(None), [2, 0, 2]), (np.array([1, 1]), 1),
     (Ellipsis, np.array([0, 0])), MASK[0], (np.arange(4)[:3], MASK[0][:3] * 1)],
    ids=["2d_array", "list_negative", "column_list", "array_and_int", "ellipsis_array",
         "bool_rows", "int_pairs"],
)  # fmt: skip
def test_fancy_indexing(index):
    check_op(lambda x: x[index], (4, 3))


def test_cross_entropy_style_indexing_with_a_tensor_of_labels():
    rows = np.arange(4)
    check_op(lambda x: x[rows, LABELS], (4, 3), ref=lambda x: x[rows, LABELS.data])
    # The whole loss: -mean(log_softmax(x)[rows, labels]), against numpy.
    logits = np.random.default_rng(3).standard_normal((4, 3))

    def loss(x):
        shifted = x - x.max(axis=1, keepdims=True)
        e = shifted.exp() if isinstance(x, Tensor) else np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        logp = shifted - (s.log() if isinstance(x, Tensor) else np.log(s))
        return -(logp[rows, LABELS] if isinstance(x, Tensor) else logp[rows, LABELS.data]).mean()

    check_op(loss, logits)


def test_repeated_indices_accumulate_in_backward():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])
    m = Tensor(np.zeros((2, 3)), requires_grad=True)
    y = m[Tensor(np.array([1, 1])), Tensor(np.array([2, 2]))]
    y.grad = np.array([0.5, 0.25])
    y.backward()
    np.testing.assert_array_equal(m.grad, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.75]])


def test_boolean_mask_tensors_index_and_scatter_back():
    x = Tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    picked = x[x > 0]
    assert picked.data.tolist() == [2.0, 3.0]
    picked.backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [1.0, 0.0]])


def test_float_index_tensors_are_an_index_error():
    # lucid.tensor([0.0, 1.0]) is float64; indices must be integers.
    with pytest.raises(IndexError, match="integer"):
        lucid.zeros(3)[lucid.tensor([0.0, 1.0])]
    assert lucid.arange(3)[lucid.tensor([0, 2])].tolist() == [0.0, 2.0]  # int64 from ints
