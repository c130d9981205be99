"""Parity with PyTorch: the normalisations, embedding, one_hot and normalize.

Functional forms are compared on the same inputs (_compare.compare: results and every
gradient); the BatchNorm and InstanceNorm layers over several training steps (outputs,
gradients, running statistics) and then in eval mode, in float32 and float64.

Where lucid keeps lucid 2.x's rules, the tests make both libraries compute the same
thing or adjust PyTorch's numbers in numpy:
- the running variance is updated with the biased batch variance (PyTorch: unbiased),
  so running_var is checked against a numpy update with the biased one, and eval mode
  is compared after loading lucid's running statistics into the PyTorch layer;
- InstanceNorm's affine and track_running_stats default to True (PyTorch: False), so
  the PyTorch layer is built with both True;
- embedding outputs zeros at padding_idx (PyTorch: the row itself, which nn.Embedding
  initialises to zeros), so the weight's padding row is zero in both.

Skipped as a whole where PyTorch is not installed.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _compare import compare, rand  # noqa: E402
from _parity import DTYPES, RTOL, assert_close, check_twins, twins  # noqa: E402

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402
from lucid import nn  # noqa: E402

TF = torch.nn.functional
tnn = torch.nn

# ---- functional normalisations ------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)], ids=["1d", "2d", "4d"])
def test_batch_norm_training_matches_pytorch(shape, affine, dtype):
    c = shape[1]
    arrays = [rand(shape, 1, 2.0) + 1.0] + ([rand(c, 2), rand(c, 3)] if affine else [])
    compare(
        lambda x, w=None, b=None: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5),
        lambda x, w=None, b=None: TF.batch_norm(x, None, None, w, b, True, 0.1, 1e-5),
        arrays,
        dtype,
        what="batch_norm",
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_eval_with_running_stats_matches_pytorch(dtype):
    shape, c = (4, 3, 5), 3
    mean, var = rand(c, 4).astype(dtype), (1.0 + np.abs(rand(c, 5))).astype(dtype)
    compare(
        lambda x, w, b: F.batch_norm(
            x, lucid.Tensor(mean.copy()), lucid.Tensor(var.copy()), w, b, False, 0.1, 1e-3
        ),
        lambda x, w, b: TF.batch_norm(
            x, torch.from_numpy(mean.copy()), torch.from_numpy(var.copy()), w, b, False, 0.1, 1e-3
        ),
        [rand(shape, 6), rand(c, 7), rand(c, 8)],
        dtype,
        what="batch_norm eval",
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, normalized",
    [((4, 6), 6), ((3, 4, 5), (5,)), ((2, 3, 4, 5), (4, 5)), ((2, 3, 4), (2, 3, 4))],
    ids=["int", "last", "last two", "all"],
)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_layer_norm_matches_pytorch(shape, normalized, affine, dtype):
    ns = (normalized,) if isinstance(normalized, int) else normalized
    arrays = [rand(shape, 1, 3.0) + 2.0] + ([rand(ns, 2), rand(ns, 3)] if affine else [])
    compare(
        lambda x, w=None, b=None: F.layer_norm(x, normalized, w, b, 1e-5),
        lambda x, w=None, b=None: TF.layer_norm(x, ns, w, b, 1e-5),
        arrays,
        dtype,
        what="layer_norm",
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, groups",
    [
        ((3, 6), 1),
        ((3, 6), 2),
        ((2, 6, 5), 1),
        ((2, 6, 5), 3),
        ((2, 6, 5), 6),
        ((2, 6, 3, 4), 2),
        ((2, 6, 3, 4), 6),
    ],
)  # fmt: skip (no (N, 6) with 6 groups: one value per group, all gradients zero)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_group_norm_matches_pytorch(shape, groups, affine, dtype):
    arrays = [rand(shape, 1, 2.0)] + ([rand(6, 2), rand(6, 3)] if affine else [])
    compare(
        lambda x, w=None, b=None: F.group_norm(x, groups, w, b, 1e-4),
        lambda x, w=None, b=None: TF.group_norm(x, groups, w, b, 1e-4),
        arrays,
        dtype,
        what="group_norm",
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize(
    "shape", [(2, 3, 7), (2, 3, 4, 5), (2, 3, 2, 3, 4)], ids=["1d", "2d", "3d"]
)
def test_instance_norm_matches_pytorch(shape, affine, dtype):
    arrays = [rand(shape, 1, 2.0)] + ([rand(3, 2), rand(3, 3)] if affine else [])
    compare(
        lambda x, w=None, b=None: F.instance_norm(x, None, None, w, b, True, 0.1, 1e-5),
        lambda x, w=None, b=None: TF.instance_norm(x, None, None, w, b, True, 0.1, 1e-5),
        arrays,
        dtype,
        what="instance_norm",
    )


# ---- the layers over training steps -------------------------------------------------------


def set_affine(lm, tm, dtype, seed):
    """Random weight and bias, the same in both layers (the defaults 1 and 0 hide errors)."""
    w, b = rand(lm.num_features, seed) + 1.0, rand(lm.num_features, seed + 1)
    lm.weight.data[...] = w
    lm.bias.data[...] = b
    with torch.no_grad():
        tm.weight.copy_(torch.from_numpy(w.astype(dtype)))
        tm.bias.copy_(torch.from_numpy(b.astype(dtype)))


def step_both(lm, tm, x, dtype, what):
    """One forward and backward of both layers; outputs and gradients compared."""
    lx = lucid.Tensor(x.copy(), requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    ly, ty = lm(lx), tm(tx)
    assert_close(ly.data, ty.detach().numpy(), dtype, f"{what}: output")
    w = np.random.default_rng(7).standard_normal(x.shape).astype(dtype)
    ly.grad = w.copy()
    ly.backward()
    ty.backward(torch.from_numpy(w.copy()))
    pairs = [("input", lx, tx), ("weight", lm.weight, tm.weight), ("bias", lm.bias, tm.bias)]
    for name, lt, tt in pairs:
        assert_close(lt.grad, tt.grad.numpy(), dtype, f"{what}: gradient of {name}")
        lt.grad, tt.grad = None, None


# (lucid layer, PyTorch layer, input shape, statistics axes, per-instance statistics)
NORM_LAYERS = {
    "BatchNorm1d (N, C)": (nn.BatchNorm1d, tnn.BatchNorm1d, (8, 3), (0,), False),
    "BatchNorm1d (N, C, L)": (nn.BatchNorm1d, tnn.BatchNorm1d, (4, 3, 5), (0, 2), False),
    "BatchNorm2d": (nn.BatchNorm2d, tnn.BatchNorm2d, (3, 3, 4, 2), (0, 2, 3), False),
    "InstanceNorm1d": (nn.InstanceNorm1d, tnn.InstanceNorm1d, (4, 3, 6), (2,), True),
    "BatchNorm3d": (nn.BatchNorm3d, tnn.BatchNorm3d, (2, 3, 3, 2, 3), (0, 2, 3, 4), False),
    "InstanceNorm2d": (nn.InstanceNorm2d, tnn.InstanceNorm2d, (3, 3, 4, 3), (2, 3), True),
    "InstanceNorm3d": (nn.InstanceNorm3d, tnn.InstanceNorm3d, (2, 3, 2, 3, 3), (2, 3, 4), True),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, 0.4, None])
@pytest.mark.parametrize("name", list(NORM_LAYERS))
def test_norm_layer_steps_and_eval_match_pytorch(name, momentum, dtype):
    """Three training steps, then eval mode with lucid's running statistics in both.

    running_mean must equal PyTorch's; running_var follows lucid 2.x's update with the
    biased variance, checked against numpy (PyTorch's uses the unbiased one). With
    momentum=None PyTorch's InstanceNorm passes momentum 0 and never updates its running
    statistics; lucid's takes the cumulative average, as BatchNorm's: numpy only there.
    """
    lcls, tcls, shape, axes, instance = NORM_LAYERS[name]
    torch_updates = not (instance and momentum is None)
    kwargs = {"eps": 1e-3, "momentum": momentum, "affine": True, "track_running_stats": True}
    lm, tm = lcls(3, **kwargs).to(dtype), tcls(3, **kwargs)
    if dtype == np.float64:
        tm.double()
    set_affine(lm, tm, dtype, seed=3)
    mean, var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = (rand(shape, 10 + step, 2.0) + step).astype(dtype)
        step_both(lm, tm, x, dtype, f"{name} step {step + 1}")
        m = 1.0 / (step + 1) if momentum is None else momentum
        x64 = x.astype(np.float64)
        batch_mean, batch_var = x64.mean(axis=axes), x64.var(axis=axes)
        if instance:  # per (sample, channel), then averaged over the batch
            batch_mean, batch_var = batch_mean.mean(axis=0), batch_var.mean(axis=0)
        mean = (1 - m) * mean + m * batch_mean
        var = (1 - m) * var + m * batch_var
        what = f"{name} step {step + 1}"
        rtol = 10 * RTOL[dtype]
        np.testing.assert_allclose(lm.running_mean.data, mean, rtol=rtol, err_msg=what)
        np.testing.assert_allclose(lm.running_var.data, var, rtol=rtol, err_msg=what)
        if torch_updates:
            assert_close(lm.running_mean.data, tm.running_mean.numpy(), dtype, f"{what}: mean")
            assert not np.allclose(var, tm.running_var.numpy()), (
                "the biased variance never mattered"
            )

    lm.eval()
    tm.eval()
    with torch.no_grad():
        tm.running_mean.copy_(torch.from_numpy(np.array(lm.running_mean.data)))
        tm.running_var.copy_(torch.from_numpy(np.array(lm.running_var.data)))
    step_both(lm, tm, rand(shape, 20, 2.0).astype(dtype), dtype, f"{name} eval")


def normed_net(nn_):
    """LayerNorm and GroupNorm layers between linear ones (their parameters loaded)."""
    return nn_.Sequential(
        nn_.Linear(6, 8),
        nn_.LayerNorm(8, eps=1e-4),
        nn_.Tanh(),
        nn_.GroupNorm(2, 8),
        nn_.LayerNorm(8, elementwise_affine=False),
        nn_.Linear(8, 3),
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_and_group_norm_layers_match_pytorch(dtype):
    lm, tm = twins(lambda: normed_net(nn), lambda: normed_net(tnn), dtype)
    for lp, tp in zip(lm.parameters(), tm.parameters(), strict=True):  # not only 1 and 0
        tp.data.add_(0.1 * torch.from_numpy(rand(tuple(tp.shape), 5).astype(dtype)))
        lp.data[...] = tp.detach().numpy()
    check_twins(lm, tm, rand((5, 6), 9, 2.0), dtype)


# ---- embedding, one_hot, normalize ------------------------------------------------------------

INDICES = np.array([[0, 2, 4, 2], [1, 3, 0, 4], [4, 4, 1, 2]], dtype=np.int64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_pytorch(padding_idx, dtype):
    weight = rand((5, 3), 1)
    if padding_idx is not None:
        weight[padding_idx] = 0.0  # lucid outputs zeros there, PyTorch the row

    def lucid_call(w):
        return F.embedding(lucid.Tensor(INDICES), w, padding_idx)

    def torch_call(w):
        return TF.embedding(torch.from_numpy(INDICES), w, padding_idx)

    compare(lucid_call, torch_call, [weight], dtype, what="embedding")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_weight_as_pytorch(norm_type, dtype):
    weight = rand((5, 3), 2, 2.0).astype(dtype)
    lw = nn.Parameter(weight.copy())
    tw = tnn.Parameter(torch.from_numpy(weight.copy()))
    idx = INDICES[:, :2]  # rows 0, 1, 2, 3, 4 (all looked up), some twice
    ly = F.embedding(lucid.Tensor(idx), lw, None, 1.5, norm_type)
    ty = TF.embedding(torch.from_numpy(idx), tw, None, 1.5, norm_type)
    assert_close(ly.data, ty.detach().numpy(), dtype, "output")
    assert_close(lw.data, tw.detach().numpy(), dtype, "renormalised weight")
    assert not np.allclose(lw.data, weight), "max_norm never mattered"
    w = rand(ty.shape, 3).astype(dtype)
    ly.grad = w.copy()
    ly.backward()
    ty.backward(torch.from_numpy(w.copy()))
    assert_close(lw.grad, tw.grad.numpy(), dtype, "gradient of weight")


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_layer_matches_pytorch(dtype):
    """nn.Embedding with padding_idx: lucid's weight loaded into PyTorch's, row 1 zero."""
    lm = nn.Embedding(5, 4, padding_idx=1).to(dtype)
    assert np.all(lm.weight.data[1] == 0)
    tm = tnn.Embedding(5, 4, padding_idx=1)
    if dtype == np.float64:
        tm.double()
    tm.load_state_dict({"weight": torch.from_numpy(np.array(lm.weight.data))}, strict=True)
    ly, ty = lm(lucid.Tensor(INDICES)), tm(torch.from_numpy(INDICES))
    assert_close(ly.data, ty.detach().numpy(), dtype, "output")
    w = rand(ty.shape, 4).astype(dtype)
    ly.grad = w.copy()
    ly.backward()
    ty.backward(torch.from_numpy(w.copy()))
    assert_close(lm.weight.grad, tm.weight.grad.numpy(), dtype, "gradient of weight")
    assert np.all(lm.weight.grad[1] == 0)


@pytest.mark.parametrize("num_classes", [-1, 5, 7])
def test_one_hot_matches_pytorch(num_classes):
    got = F.one_hot(lucid.Tensor(INDICES), num_classes)
    expected = TF.one_hot(torch.from_numpy(INDICES), num_classes).numpy()
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype == np.int64
    np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "p, dim", [(2, 1), (1, 1), (3, -1), (2, 0), (0.5, 2), (2, (1, 2))],
    ids=["p2", "p1", "p3 last", "p2 first", "p0.5", "p2 two axes"],
)  # fmt: skip
def test_normalize_matches_pytorch(p, dim, dtype):
    compare(
        lambda x: F.normalize(x, p, dim),
        lambda x: TF.normalize(x, p, dim),
        [rand((3, 4, 5), 5, 2.0)],
        dtype,
        what=f"normalize p={p} dim={dim}",
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_normalize_floors_tiny_norms_as_pytorch(dtype):
    """Rows whose norm is below eps are divided by eps: x/eps, gradient w/eps."""
    x = rand((4, 3), 6) * 1e-3
    compare(
        lambda t: F.normalize(t, 2, 1, 1e-2),
        lambda t: TF.normalize(t, 2.0, 1, 1e-2),
        [x],
        dtype,
        what="normalize with the floor",
    )
