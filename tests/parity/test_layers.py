"""Parity with PyTorch: activations, Linear, Flatten and the containers.

An MLP with each activation (and models built from ModuleList, ModuleDict and nested
Sequentials) is built in both libraries with the same weights; forward and backward must
agree on the output and on every gradient (see _parity.check_twins).

Skipped as a whole where PyTorch is not installed.
"""

import pytest

torch = pytest.importorskip("torch")

from _parity import DTYPES, check_twins, inputs, mlp, twins  # noqa: E402

from lucid import nn  # noqa: E402

tnn = torch.nn

# ---- activations and basic layers -----------------------------------------------------

ACTIVATIONS = {
    "SELU": (lambda: nn.SELU(), lambda: tnn.SELU()),
    "ReLU": (lambda: nn.ReLU(), lambda: tnn.ReLU()),
    "ELU": (lambda: nn.ELU(), lambda: tnn.ELU()),
    "ELU(alpha=0.7)": (lambda: nn.ELU(alpha=0.7), lambda: tnn.ELU(alpha=0.7)),
    "LeakyReLU": (lambda: nn.LeakyReLU(), lambda: tnn.LeakyReLU()),
    "LeakyReLU(0.2)": (lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2)),
    "GELU": (lambda: nn.GELU(approximate="none"), lambda: tnn.GELU()),
    "GELU(default)": (lambda: nn.GELU(), lambda: tnn.GELU(approximate="tanh")),
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
            gelu = nn_.GELU(approximate="tanh")  # lucid's default, named for PyTorch
            self.head = nn_.Sequential(nn_.Sequential(nn_.Linear(8, 5), gelu))
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
