"""Parity with PyTorch where random numbers are drawn: nn.init and the dropout layers.

The two libraries use different generators, so nn.init and dropout in training mode are
compared in law: the same constants (gains, bounds, scale factors), and sample
statistics within bounds derived from the sample size. Where dropout is deterministic
(eval mode, p = 0, p = 1) the twin models must agree exactly as the other layers do.

Skipped as a whole where PyTorch is not installed.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _parity import DTYPES, check_twins, inputs, mlp, twins  # noqa: E402

import lucid  # noqa: E402
from lucid import nn  # noqa: E402

tnn = torch.nn
tinit = torch.nn.init
Z = 5.0  # standard deviations allowed in every statistical bound (two-sided p ~ 6e-7)


# ---- nn.init ----------------------------------------------------------------------------

SHAPE = (256, 512)  # (fan_out, fan_in) of a Linear weight: 131,072 draws
DRAWS = SHAPE[0] * SHAPE[1]


def lucid_draw(fn, *args, **kwargs):
    t = lucid.Tensor(np.zeros(SHAPE, np.float32))
    getattr(lucid.nn.init, fn)(t, *args, **kwargs)
    return t.data.astype(np.float64)


def torch_draw(fn, *args, **kwargs):
    t = torch.zeros(SHAPE)
    getattr(tnn.init, fn)(t, *args, **kwargs)
    return t.numpy().astype(np.float64)


@pytest.mark.parametrize(
    "nonlinearity, param",
    [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
     ("conv2d", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5))],
)  # fmt: skip
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    expected = tnn.init.calculate_gain(nonlinearity, param)
    assert lucid.nn.init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


# (lucid function, torch function, keyword arguments for both)
UNIFORM_INITS = [
    ("kaiming_uniform_", "kaiming_uniform_", {}),
    ("kaiming_uniform_", "kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", "kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("xavier_uniform_", "xavier_uniform_", {}),
    ("xavier_uniform_", "xavier_uniform_", {"gain": 5 / 3}),
    # LeCun's variance 1/fan_in is PyTorch's kaiming with nonlinearity="linear".
    ("lecun_uniform_", "kaiming_uniform_", {"nonlinearity": "linear"}),
]
NORMAL_INITS = [
    ("kaiming_normal_", "kaiming_normal_", {}),
    ("kaiming_normal_", "kaiming_normal_", {"a": 0.2, "mode": "fan_out"}),
    ("xavier_normal_", "xavier_normal_", {}),
    ("xavier_normal_", "xavier_normal_", {"gain": 0.75}),
    # PyTorch's advice for SELU networks: kaiming_normal_ with nonlinearity="linear".
    ("lecun_normal_", "kaiming_normal_", {"nonlinearity": "linear"}),
]


def lucid_kwargs(fn, kwargs):
    return {} if fn.startswith("lecun") else kwargs


@pytest.mark.parametrize("lfn, tfn, kwargs", UNIFORM_INITS)
def test_uniform_inits_have_pytorchs_bound(lfn, tfn, kwargs):
    """Both draw from U(−b, b) with the same b. For n uniform draws, the largest |x| is
    below b·(1 − δ) with probability (1 − δ)ⁿ < e^(−nδ); δ = 30/n makes that e^(−30)."""
    lucid.random.seed(0)
    torch.manual_seed(0)
    ours = lucid_draw(lfn, **lucid_kwargs(lfn, kwargs))
    theirs = torch_draw(tfn, **kwargs)
    delta = 30 / DRAWS
    bound = np.abs(theirs).max() / (1 - delta)  # at least PyTorch's b, almost surely
    top = np.abs(ours).max()
    assert bound * (1 - 2 * delta) <= top <= bound, (top, bound)
    # Both sit inside and are centred: |mean| within Z standard errors, b²/3 / n.
    assert abs(ours.mean()) <= Z * bound / math.sqrt(3 * DRAWS)


@pytest.mark.parametrize("lfn, tfn, kwargs", NORMAL_INITS)
def test_normal_inits_have_pytorchs_std(lfn, tfn, kwargs):
    """The sample variance s² of n normal draws has standard error σ²·sqrt(2/n); both
    libraries' s² sit within Z of those of σ² from PyTorch's own formula (its gain and
    fan), and within Z·sqrt(2) of each other."""
    lucid.random.seed(1)
    torch.manual_seed(1)
    ours = lucid_draw(lfn, **lucid_kwargs(lfn, kwargs))
    theirs = torch_draw(tfn, **kwargs)
    fan_out, fan_in = SHAPE
    if tfn == "xavier_normal_":
        var = kwargs.get("gain", 1.0) ** 2 * 2 / (fan_in + fan_out)
    else:
        fan = fan_out if kwargs.get("mode") == "fan_out" else fan_in
        gain = tnn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
        var = gain**2 / fan
    se = var * math.sqrt(2 / DRAWS)
    assert abs(ours.var() - var) <= Z * se
    assert abs(theirs.var() - var) <= Z * se
    assert abs(ours.var() - theirs.var()) <= Z * math.sqrt(2) * se
    assert abs(ours.mean()) <= Z * math.sqrt(var / DRAWS)


def test_linear_default_init_bias_has_pytorchs_bound_and_weight_lucid_2s():
    """The bias of a fresh Linear is U(±1/sqrt(in_features)) in both; the weight is lucid
    2.x's kaiming_uniform with a = 0, U(±sqrt(6/in_features)), which is PyTorch's
    kaiming_uniform_(w, a=0) (PyTorch's Linear uses a = sqrt(5)). Bounds as in
    test_uniform_inits_have_pytorchs_bound (n = 4096 bias and 262,144 weight draws)."""
    lucid.random.seed(2)
    torch.manual_seed(2)
    ours, theirs = nn.Linear(64, 4096), tnn.Linear(64, 4096)
    tinit.kaiming_uniform_(theirs.weight, a=0.0)
    for name, expected in (("weight", math.sqrt(6 / 64)), ("bias", 1 / 8)):
        top = np.abs(getattr(ours, name).data).max()
        values = getattr(theirs, name).detach().numpy()
        delta = 30 / values.size
        bound = np.abs(values).max() / (1 - delta)
        assert bound * (1 - 2 * delta) <= top <= bound, (name, top, bound)
        assert bound == pytest.approx(expected, rel=2 * delta)


# ---- dropout layers where they are the identity ---------------------------------------

# The input shape each layer accepts: channel layers want (N, C, ...) of their rank.
DROPOUT_SHAPES = {
    "Dropout": (5, 6),
    "AlphaDropout": (5, 6),
    "Dropout1d": (4, 5, 6),
    "Dropout2d": (2, 3, 4, 6),
    "Dropout3d": (2, 3, 2, 2, 6),
    "FeatureAlphaDropout": (4, 5, 6),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["eval p=0.3", "train p=0"])
@pytest.mark.parametrize("name", list(DROPOUT_SHAPES))
def test_dropout_in_eval_mode_or_with_p_0_matches_pytorch(name, mode, dtype):
    p = 0.3 if mode.startswith("eval") else 0.0
    lm, tm = twins(
        lambda: mlp(nn, getattr(nn, name)(p)), lambda: mlp(tnn, getattr(tnn, name)(p)), dtype
    )
    if mode.startswith("eval"):
        lm.eval()
        tm.eval()
    check_twins(lm, tm, inputs(DROPOUT_SHAPES[name]), dtype)


# ---- dropout in training mode: the same law, different random numbers -----------------

# Inputs of 65,536 elements: element-wise layers decide per element, channel layers per
# (N, C) = 4,096 channels.
LAW_SHAPES = {
    "Dropout": (256, 256),
    "AlphaDropout": (256, 256),
    "Dropout1d": (64, 64, 16),
    "Dropout2d": (64, 64, 4, 4),
    "Dropout3d": (64, 64, 2, 2, 4),
    "FeatureAlphaDropout": (64, 64, 16),
}
ALPHA_PRIME = -1.0507009873554805 * 1.6732632423543772  # −λα: SELU's negative saturation


def documented_constants(name, p):
    """(A, B, dropped value): kept y = A·x + B, dropped y = the value (README, torch docs)."""
    if "Alpha" not in name:
        return 1 / (1 - p), 0.0, 0.0
    a = ((1 - p) * (1 + p * ALPHA_PRIME**2)) ** -0.5
    b = -a * ALPHA_PRIME * p
    return a, b, a * ALPHA_PRIME + b


def observed_law(name, x, y, grad):
    """What one library did, read off its output alone: (A, B, dropped value, the keep
    decisions, per-group values of y for the moments).

    The dropped value is the most frequent output (kept outputs are an affine image of
    continuous x, so they rarely repeat); A and B are the least-squares line through the
    kept (x, y), which must fit to float32 rounding; the gradient (of y.sum()) must be A
    where kept and 0 where dropped; a channel layer must keep or drop whole channels.
    """
    values, counts = np.unique(y, return_counts=True)
    dropped_value = float(values[np.argmax(counts)])
    dropped = y == dropped_value
    xk, yk = x[~dropped].astype(np.float64), y[~dropped].astype(np.float64)
    a, b = np.polyfit(xk, yk, 1)
    # float32 outputs round to 2⁻²⁴ relative; 1e-6 of max|y| allows a few roundings.
    scale = np.abs(y).max()
    assert np.abs(a * xk + b - yk).max() <= 1e-6 * scale, f"{name}: kept y is not A·x + B"
    expected_grad = np.where(dropped, 0.0, a)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=0, err_msg=name)
    groups = y.reshape(x.shape[0] * x.shape[1], -1).astype(np.float64)
    channel = LAW_SHAPES[name] != (256, 256)
    if channel:
        per_channel = dropped.reshape(groups.shape)
        whole = per_channel.all(axis=1) | ~per_channel.any(axis=1)
        assert whole.all(), f"{name}: a channel was partly dropped"
        decisions = ~per_channel[:, 0]
    else:
        decisions = ~dropped.ravel()
    return a, b, dropped_value, decisions, groups


def run_lucid(name, x, p):
    lucid.random.seed(11)
    layer = getattr(nn, name)(p)
    lx = lucid.Tensor(x.copy(), requires_grad=True)
    y = layer(lx)
    y.backward()  # the gradient of y.sum()
    return y.data.copy(), lx.grad


def run_torch(name, x, p):
    torch.manual_seed(11)
    layer = getattr(tnn, name)(p)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    y = layer(tx)
    y.sum().backward()
    return y.detach().numpy(), tx.grad.numpy()


def mean_and_error(values):
    """The mean of per-group means and its standard error, estimated from the groups
    (groups are independent: different elements or channels, independent decisions)."""
    return values.mean(), values.std(ddof=1) / math.sqrt(values.size)


@pytest.mark.parametrize("p", [0.2, 0.6])
@pytest.mark.parametrize("name", list(LAW_SHAPES))
def test_dropout_in_training_agrees_with_pytorch_in_law(name, p):
    x = np.random.default_rng(3).standard_normal(LAW_SHAPES[name]).astype(np.float32)
    ours = observed_law(name, x, *run_lucid(name, x, p))
    theirs = observed_law(name, x, *run_torch(name, x, p))

    # The same constants, and the documented ones: float32 outputs carry them to ~1e-7.
    expected = documented_constants(name, p)
    for i, what in enumerate(("A", "B", "dropped value")):
        for who, law in (("lucid", ours), ("torch", theirs)):
            assert abs(law[i] - expected[i]) <= 1e-6 * expected[0], (who, what, law[i])

    # Keep counts are Binomial(m, 1 − p): each within Z sigma of m(1 − p), and the two
    # fractions within Z sigma of each other (their difference has variance 2p(1 − p)/m).
    m = ours[3].size
    sigma = math.sqrt(m * p * (1 - p))
    for who, law in (("lucid", ours), ("torch", theirs)):
        assert abs(law[3].sum() - m * (1 - p)) <= Z * sigma, (who, law[3].sum(), m * (1 - p))
    assert abs(ours[3].mean() - theirs[3].mean()) <= Z * math.sqrt(2) * sigma / m

    # For x ~ N(0, 1): E[y] = 0 and E[y²] = 1/(1 − p) (dropout) or 1 (alpha dropout, which
    # keeps mean 0 and variance 1). Each library within Z standard errors of those, and of
    # the other (same x in both makes the difference's variance smaller, not larger).
    second = 1.0 if "Alpha" in name else 1 / (1 - p)
    for power, theory in ((1, 0.0), (2, second)):
        stats = [mean_and_error((law[4] ** power).mean(axis=1)) for law in (ours, theirs)]
        for who, (mean, error) in zip(("lucid", "torch"), stats, strict=True):
            assert abs(mean - theory) <= Z * error, (who, power, mean, theory, error)
        (m1, e1), (m2, e2) = stats
        assert abs(m1 - m2) <= Z * math.hypot(e1, e2), (power, m1, m2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(DROPOUT_SHAPES))
def test_dropout_with_p_1_gives_zeros_and_zero_gradient_as_pytorch(name, dtype):
    x = inputs(DROPOUT_SHAPES[name]).astype(dtype)
    for y, grad in (run_lucid(name, x, 1.0), run_torch(name, x, 1.0)):
        assert y.dtype == dtype
        np.testing.assert_array_equal(y, np.zeros_like(x))
        np.testing.assert_array_equal(grad, np.zeros_like(x))
