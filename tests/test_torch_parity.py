"""Parity with PyTorch: the same weights give the same outputs and gradients.

Twin models are built in lucid and in PyTorch, and lucid's state_dict is loaded into the
PyTorch twin (strictly, so the parameter names must agree too). Each case runs forward
and backward in both and compares the outputs, the loss, and the gradients of the input
and of every parameter. Optimisers take a few steps on twin models and must keep the
parameters and their state equal. Where the two libraries draw random numbers (nn.init,
dropout in training mode) they use different generators, so they are compared in law:
the same constants, and sample statistics within bounds derived from the sample size.

Skipped as a whole where PyTorch is not installed.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
from lucid import nn  # noqa: E402

tnn = torch.nn
torch.set_num_threads(1)  # small tensors; leave the machine's other core alone

# Relative tolerance per dtype. Every tensor is compared with atol = rtol·max|expected|:
# an entry near zero comes from cancelling terms of about the tensor's typical size, and
# the two libraries sum them in different orders (BLAS blocking, pairwise sums), so its
# rounding error is eps times that size, not times its own. 1e-5 is ~80 float32 ulp;
# 1e-12 leaves ~4500 float64 ulp for sums of a few dozen terms.
RTOL = {np.float32: 1e-5, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]
Z = 5.0  # standard deviations allowed in every statistical bound (two-sided p ~ 6e-7)


# ---- twin models ----------------------------------------------------------------------


def to_float64(model):
    """Replace every parameter of a lucid model by a float64 copy (torch: .double())."""
    for module in model.modules():
        for name, param in list(module.named_parameters(recurse=False)):
            setattr(module, name, nn.Parameter(param.data.astype(np.float64)))
    return model


def twins(make_lucid, make_torch, dtype, seed=0):
    """A lucid model with lucid's default initialisation and a PyTorch one with its weights."""
    lucid.random.seed(seed)
    lm = make_lucid()
    tm = make_torch()
    state = {k: torch.from_numpy(v.data.copy()) for k, v in lm.state_dict().items()}
    tm.load_state_dict(state, strict=True)
    if dtype == np.float64:
        to_float64(lm)
        tm.double()
    return lm, tm


def assert_close(got, expected, dtype, what):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert got.dtype == expected.dtype == dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    rtol = RTOL[dtype]
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def check_twins(lm, tm, x, dtype, head=None, extra=()):
    """Forward and backward of ``head(model(x), *extra)`` in both libraries, compared.

    ``head`` is called as head(lib, y, *extra) with lib "lucid" or "torch" (a loss, say);
    ``extra`` are float arrays that enter as tensors requiring grad (targets). A
    non-scalar result is seeded with fixed random weights. Every gradient compared must
    be non-zero somewhere, so no comparison passes vacuously.
    """
    x = np.asarray(x, dtype=dtype)
    extra = [np.asarray(e, dtype=dtype) for e in extra]
    lx = lucid.Tensor(x.copy(), requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    lext = [lucid.Tensor(e.copy(), requires_grad=True) for e in extra]
    text = [torch.from_numpy(e.copy()).requires_grad_(True) for e in extra]
    ly, ty = lm(lx), tm(tx)
    assert_close(ly.data, ty.detach().numpy(), dtype, "model output")
    lout = ly if head is None else head("lucid", ly, *lext)
    tout = ty if head is None else head("torch", ty, *text)
    assert_close(lout.data, tout.detach().numpy(), dtype, "head output")
    w = np.random.default_rng(123).standard_normal(tuple(tout.shape)).astype(dtype)
    lout.grad = w.copy()
    lout.backward()
    tout.backward(torch.from_numpy(w.copy()))

    lparams = dict(lm.named_parameters())
    tparams = dict(tm.named_parameters())
    assert list(lparams) == list(tparams)
    pairs = [("input", lx.grad, tx.grad)]
    pairs += [
        (f"target {i}", a.grad, b.grad) for i, (a, b) in enumerate(zip(lext, text, strict=True))
    ]
    pairs += [(name, lparams[name].grad, tparams[name].grad) for name in tparams]
    for name, lg, tg in pairs:
        assert lg is not None and tg is not None, f"{name}: no gradient"
        expected = tg.numpy()
        assert np.any(expected != 0), f"{name}: PyTorch's gradient is all zero; pick inputs"
        assert_close(lg, expected, dtype, f"gradient of {name}")


def mlp(nn_, act, features=6, hidden=8, out=3, bias=True):
    return nn_.Sequential(nn_.Linear(features, hidden, bias=bias), act, nn_.Linear(hidden, out))


def inputs(shape, seed=1, scale=2.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


# ---- activations and basic layers -----------------------------------------------------

ACTIVATIONS = {
    "SELU": (lambda: nn.SELU(), lambda: tnn.SELU()),
    "ReLU": (lambda: nn.ReLU(), lambda: tnn.ReLU()),
    "ELU": (lambda: nn.ELU(), lambda: tnn.ELU()),
    "ELU(alpha=0.7)": (lambda: nn.ELU(alpha=0.7), lambda: tnn.ELU(alpha=0.7)),
    "LeakyReLU": (lambda: nn.LeakyReLU(), lambda: tnn.LeakyReLU()),
    "LeakyReLU(0.2)": (lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2)),
    "GELU": (lambda: nn.GELU(), lambda: tnn.GELU()),
    "GELU(tanh)": (lambda: nn.GELU(approximate="tanh"), lambda: tnn.GELU(approximate="tanh")),
    "Tanh": (lambda: nn.Tanh(), lambda: tnn.Tanh()),
    "Sigmoid": (lambda: nn.Sigmoid(), lambda: tnn.Sigmoid()),
    "Softmax": (lambda: nn.Softmax(), lambda: tnn.Softmax(dim=-1)),
    "Softmax(axis=1)": (lambda: nn.Softmax(axis=1), lambda: tnn.Softmax(dim=1)),
    "Softmax(dim=0)": (lambda: nn.Softmax(dim=0), lambda: tnn.Softmax(dim=0)),
    "LogSoftmax": (lambda: nn.LogSoftmax(), lambda: tnn.LogSoftmax(dim=-1)),
    "LogSoftmax(axis=1)": (lambda: nn.LogSoftmax(axis=1), lambda: tnn.LogSoftmax(dim=1)),
    "Identity": (lambda: nn.Identity(8, unused=1), lambda: tnn.Identity(8, unused=1)),
}
# A softmax along an axis other than the features' is unchanged when the first layer's
# bias shifts every entry along that axis by the same amount, so that bias's gradient
# is exactly zero and both libraries would return rounding noise: leave the bias out.
ACROSS_FEATURES = {"Softmax(axis=1)", "Softmax(dim=0)", "LogSoftmax(axis=1)"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_mlp_with_each_activation_matches_pytorch(name, dtype):
    make_l, make_t = ACTIVATIONS[name]
    bias = name not in ACROSS_FEATURES
    lm, tm = twins(
        lambda: mlp(nn, make_l(), bias=bias), lambda: mlp(tnn, make_t(), bias=bias), dtype
    )
    # (batch, positions, features): axis 0, 1 and -1 of the softmaxes are all distinct.
    check_twins(lm, tm, inputs((5, 4, 6)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_without_bias_matches_pytorch(dtype):
    lm, tm = twins(
        lambda: mlp(nn, nn.Tanh(), bias=False), lambda: mlp(tnn, tnn.Tanh(), bias=False), dtype
    )
    assert "0.bias" not in lm.state_dict()
    check_twins(lm, tm, inputs((7, 6)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, flat, lucid_args, torch_args",
    [
        ((5, 4, 6), 32, {}, {}),
        ((5, 4, 2, 6), 64, {}, {}),
        ((5, 4, 2, 6), 8, {"start_axis": 1, "end_axis": 2}, {"start_dim": 1, "end_dim": 2}),
        ((5, 4, 2, 6), 8, {"start_dim": 0, "end_dim": 1}, {"start_dim": 0, "end_dim": 1}),
    ],
)
def test_flatten_matches_pytorch(shape, flat, lucid_args, torch_args, dtype):
    def make(nn_, args):
        return nn_.Sequential(nn_.Linear(6, 8), nn_.ELU(), nn_.Flatten(**args), nn_.Linear(flat, 3))

    lm, tm = twins(lambda: make(nn, lucid_args), lambda: make(tnn, torch_args), dtype)
    check_twins(lm, tm, inputs(shape), dtype)


# ---- containers -----------------------------------------------------------------------


def gated_net(nn_):
    """A model whose forward indexes a ModuleList and a ModuleDict, and nests a Sequential."""

    class Gated(nn_.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn_.ModuleList([nn_.Linear(6, 8), nn_.Linear(8, 8)])
            self.acts = nn_.ModuleDict({"hidden": nn_.SELU(), "gate": nn_.Sigmoid()})
            self.head = nn_.Sequential(nn_.Sequential(nn_.Linear(8, 5), nn_.GELU()))
            self.head.append(nn_.Linear(5, 3))

        def forward(self, x):
            h = self.acts["hidden"](self.layers[0](x))
            h = h * self.acts["gate"](self.layers[1](h))
            for layer in self.head:
                h = layer(h)
            return h

    return Gated()


@pytest.mark.parametrize("dtype", DTYPES)
def test_module_list_dict_and_nested_sequential_match_pytorch(dtype):
    lm, tm = twins(lambda: gated_net(nn), lambda: gated_net(tnn), dtype)
    assert list(lm.state_dict()) == list(tm.state_dict())  # "layers.0.weight", "head.0.0.bias"
    check_twins(lm, tm, inputs((7, 6)), dtype)


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


# ---- losses ---------------------------------------------------------------------------

N, C, D = 7, 4, 3


def class_targets(shape, ignore=None, seed=5):
    t = np.random.default_rng(seed).integers(0, C, shape).astype(np.int64)
    if ignore is not None:
        t.flat[[1, 4]] = ignore  # two entries ignored (whatever class they held)
    return t


def class_loss_head(lucid_loss, torch_loss, target, kdim, log_softmax):
    """head(lib, y): the loss of the model's output, reshaped to (N, C, D) for K-dim and
    turned into log-probabilities over the class axis for NLLLoss."""

    def head(lib, y):
        if kdim:
            y = y.reshape(N, C, D)
        if lib == "lucid":
            y = nn.LogSoftmax(axis=1)(y) if log_softmax else y
            return lucid_loss(y, lucid.Tensor(target))
        y = tnn.LogSoftmax(dim=1)(y) if log_softmax else y
        return torch_loss(y, torch.from_numpy(target))

    return head


def weights(dtype, seed=6):
    return np.random.default_rng(seed).uniform(0.2, 2.0, C).astype(dtype)


# (id, loss kwargs builder given dtype, ignore value put in the targets or None)
CLASS_CASES = [
    ("plain", lambda dt: {}, None),
    ("weight", lambda dt: {"weight": weights(dt)}, None),
    ("ignore -100", lambda dt: {}, -100),
    ("ignore class 1, weight", lambda dt: {"weight": weights(dt), "ignore_index": 1}, 1),
]
SMOOTHING_CASES = [
    ("smoothing", lambda dt: {"label_smoothing": 0.1}, None),
    ("smoothing, weight", lambda dt: {"label_smoothing": 0.2, "weight": weights(dt)}, None),
    (
        "smoothing, weight, ignore",
        lambda dt: {"label_smoothing": 0.3, "weight": weights(dt), "ignore_index": 2},
        2,
    ),
]


def tensor_kwargs(kwargs, lib):
    """The loss's keyword arguments with arrays as that library's tensors."""
    convert = lucid.Tensor if lib == "lucid" else torch.from_numpy
    return {k: convert(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def run_class_loss(name, kwargs, ignore, reduction, kdim, dtype, log_softmax):
    target = class_targets((N, D) if kdim else (N,), ignore)
    out = C * D if kdim else C
    lucid_loss = getattr(nn, name)(reduction=reduction, **tensor_kwargs(kwargs, "lucid"))
    torch_loss = getattr(tnn, name)(reduction=reduction, **tensor_kwargs(kwargs, "torch"))
    lm, tm = twins(
        lambda: mlp(nn, nn.Tanh(), out=out), lambda: mlp(tnn, tnn.Tanh(), out=out), dtype
    )
    head = class_loss_head(lucid_loss, torch_loss, target, kdim, log_softmax)
    check_twins(lm, tm, inputs((N, 6)), dtype, head=head)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kdim", [False, True], ids=["(N,C)", "(N,C,D)"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CLASS_CASES + SMOOTHING_CASES, ids=lambda c: c[0])
def test_cross_entropy_matches_pytorch(case, reduction, kdim, dtype):
    _, kwargs, ignore = case
    run_class_loss("CrossEntropyLoss", kwargs(dtype), ignore, reduction, kdim, dtype, False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kdim", [False, True], ids=["(N,C)", "(N,C,D)"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CLASS_CASES, ids=lambda c: c[0])
def test_nll_loss_matches_pytorch(case, reduction, kdim, dtype):
    _, kwargs, ignore = case
    run_class_loss("NLLLoss", kwargs(dtype), ignore, reduction, kdim, dtype, True)


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss"])
def test_mean_over_only_ignored_targets_is_nan_with_zero_gradient_as_pytorch(name):
    """PyTorch gives nan for a mean over no counted target, and a zero gradient."""
    x = inputs((N, C))
    target = np.full(N, -100, dtype=np.int64)
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    lloss = getattr(nn, name)()(lx, lucid.Tensor(target))
    tloss = getattr(tnn, name)()(tx, torch.from_numpy(target))
    assert math.isnan(lloss.item()) and math.isnan(tloss.item())
    lloss.backward()
    tloss.backward()
    np.testing.assert_array_equal(lx.grad, tx.grad.numpy())


def float_loss_case(name, kwargs, reduction, dtype, target, final=None):
    """An MLP (then the layer named ``final``) into a loss whose target requires grad."""

    def make(nn_):
        model = mlp(nn_, nn_.SELU())
        return model if final is None else nn_.Sequential(model, getattr(nn_, final)())

    lm, tm = twins(lambda: make(nn), lambda: make(tnn), dtype)
    lucid_loss = getattr(nn, name)(reduction=reduction, **tensor_kwargs(kwargs, "lucid"))
    torch_loss = getattr(tnn, name)(reduction=reduction, **tensor_kwargs(kwargs, "torch"))

    def head(lib, y, t):
        return (lucid_loss if lib == "lucid" else torch_loss)(y, t)

    check_twins(lm, tm, inputs((N, 6)), dtype, head=head, extra=[target])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_pytorch(reduction, dtype):
    float_loss_case("MSELoss", {}, reduction, dtype, inputs((N, 3), seed=7))


def probabilities(seed=8):
    return np.random.default_rng(seed).uniform(0.05, 0.95, (N, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["", "weight"])
def test_bce_loss_matches_pytorch(weighted, reduction, dtype):
    kwargs = {"weight": np.array([0.5, 1.0, 2.0], dtype)} if weighted else {}
    float_loss_case("BCELoss", kwargs, reduction, dtype, probabilities(), final="Sigmoid")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"weight": np.array([0.5, 1.0, 2.0])},
        {"pos_weight": np.array([3.0, 0.5, 1.0])},
        {"weight": np.full((N, 1), 0.7), "pos_weight": np.array([3.0, 0.5, 1.0])},
    ],
    ids=["", "weight", "pos_weight", "both"],
)
def test_bce_with_logits_loss_matches_pytorch(kwargs, reduction, dtype):
    kwargs = {k: v.astype(dtype) for k, v in kwargs.items()}
    float_loss_case("BCEWithLogitsLoss", kwargs, reduction, dtype, probabilities())


# ---- optimisers -------------------------------------------------------------------------

OPTIMIZERS = {
    "SGD": ("SGD", {"lr": 0.1}),
    "SGD momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "SGD dampening": ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    "SGD nesterov": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "SGD weight_decay": ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.05}),
    "Adam": ("Adam", {"lr": 0.01}),
    "Adam weight_decay": ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    # beta2 = 0.5 lets v shrink between steps, so the running maximum matters.
    "Adam amsgrad": ("Adam", {"lr": 0.01, "betas": (0.9, 0.5), "amsgrad": True}),
    "AdamW": ("AdamW", {"lr": 0.01}),
    "AdamW weight_decay": ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "eps": 1e-6}),
    "AdamW amsgrad": ("AdamW", {"lr": 0.01, "betas": (0.9, 0.5), "amsgrad": True}),
}
STEPS = 6


def as_numpy(value):
    return value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_steps_match_pytorch(name, dtype):
    """A few training steps on twin models leave the same parameters and the same state.

    Two parameter groups (the second with half the learning rate) check per-group
    hyperparameters too.
    """
    cls, kwargs = OPTIMIZERS[name]
    lm, tm = twins(lambda: mlp(nn, nn.Tanh(), out=C), lambda: mlp(tnn, tnn.Tanh(), out=C), dtype)
    half = kwargs["lr"] / 2

    def groups(model):
        params = list(model.parameters())
        return [{"params": params[:2]}, {"params": params[2:], "lr": half}]

    lopt = getattr(lucid.optim, cls)(groups(lm), **kwargs)
    topt = getattr(torch.optim, cls)(groups(tm), **kwargs)
    x, target = inputs((16, 6)).astype(dtype), class_targets(16)
    for step in range(STEPS):
        for opt, model, xs, ts, loss_fn in (
            (lopt, lm, lucid.Tensor(x), lucid.Tensor(target), nn.CrossEntropyLoss()),
            (topt, tm, torch.from_numpy(x), torch.from_numpy(target), tnn.CrossEntropyLoss()),
        ):
            opt.zero_grad()
            loss_fn(model(xs), ts).backward()
            opt.step()
        for (key, lp), tp in zip(lm.named_parameters(), tm.parameters(), strict=True):
            assert_close(lp.data, tp.detach().numpy(), dtype, f"{key} after step {step + 1}")

    lstate, tstate = lopt.state_dict(), topt.state_dict()
    assert lstate["state"].keys() == tstate["state"].keys()
    for index, values in tstate["state"].items():
        assert lstate["state"][index].keys() == values.keys()
        for key, value in values.items():
            got, expected = as_numpy(lstate["state"][index][key]), as_numpy(value)
            if key == "step":
                assert float(got) == float(expected) == STEPS
            else:
                assert_close(got, expected, dtype, f"state[{index}][{key}]")
    for lgroup, tgroup in zip(lstate["param_groups"], tstate["param_groups"], strict=True):
        for key, value in lgroup.items():
            assert tuple(value) == tuple(tgroup[key]) if key == "betas" else value == tgroup[key]
    if kwargs.get("amsgrad"):
        state = topt.state_dict()["state"][0]
        assert torch.any(state["max_exp_avg_sq"] > state["exp_avg_sq"]), "amsgrad never mattered"


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


def test_linear_default_init_has_pytorchs_bounds():
    """Weight and bias of a fresh Linear are U(±1/sqrt(in_features)) in both; bounds as in
    test_uniform_inits_have_pytorchs_bound (n = 4096 bias and 262,144 weight draws)."""
    lucid.random.seed(2)
    torch.manual_seed(2)
    ours, theirs = nn.Linear(64, 4096), tnn.Linear(64, 4096)
    for name in ("weight", "bias"):
        top = np.abs(getattr(ours, name).data).max()
        values = getattr(theirs, name).detach().numpy()
        delta = 30 / values.size
        bound = np.abs(values).max() / (1 - delta)
        assert bound * (1 - 2 * delta) <= top <= bound, (name, top, bound)
        assert bound == pytest.approx(1 / 8, rel=2 * delta)


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
