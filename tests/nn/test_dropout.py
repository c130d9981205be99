"""nn.AlphaDropout and nn.functional.alpha_dropout, tested by their laws.

Outputs are random, so each test checks what must hold for any draw: every output is
A·x + B (kept) or A·α' + B (dropped), the gradient is A·mask, ``.mask`` agrees with
both, the keep rate and moments sit within bounds derived from the sample size, and
a seed fixes everything.
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

LAMBDA = 1.0507009873554805
ALPHA = 1.6732632423543772
ALPHA_PRIME = -LAMBDA * ALPHA


def coefficients(p):
    """(A, B, dropped value) from the paper's formula, independently of the Rust core."""
    a = ((1 - p) * (1 + p * ALPHA_PRIME**2)) ** -0.5
    b = -a * ALPHA_PRIME * p
    return a, b, a * ALPHA_PRIME + b


def check_laws(x, y, grad, mask, p):
    """y, the gradient of sum(y) and the mask agree with each other and the formula."""
    dt = x.dtype.type
    a, b, dropped = coefficients(p)
    kept = mask.astype(bool)
    assert set(np.unique(mask)) <= {0, 1}
    np.testing.assert_array_equal(y[kept], dt(a) * x[kept] + dt(b))
    np.testing.assert_array_equal(y[~kept], np.full((~kept).sum(), dt(dropped)))
    if grad is not None:
        np.testing.assert_array_equal(grad, np.where(kept, dt(a), dt(0)))


def test_constants_and_coefficients_match_the_paper():
    assert lucid._C.ALPHA_PRIME == ALPHA_PRIME == -1.7580993408473766
    for p in [0.05, 0.1, 0.5, 0.9]:
        np.testing.assert_allclose(
            lucid._C.dropout_coefficients(p, "alpha"), coefficients(p), rtol=1e-15
        )


def test_first_example_from_the_lucid_page(capsys):
    input_tensor = Tensor([[1.0, 2.0, 3.0, 4.0]], requires_grad=True)  # Shape: (1, 4)
    alpha_dropout = nn.AlphaDropout(p=0.1)
    output = alpha_dropout(input_tensor)
    print(output)
    output.backward()
    print(input_tensor.grad)

    printed = capsys.readouterr().out.splitlines()
    # print shows the values, as lucid 2.x's str (the page's comment shows the repr).
    assert printed[0].startswith("[[") and printed[0].endswith("]]")
    assert printed[1].startswith("[[")
    assert isinstance(input_tensor.grad, np.ndarray)
    mask = alpha_dropout.mask
    assert mask.shape == (1, 4) and mask.dtype == input_tensor.dtype == np.float64
    check_laws(input_tensor.data, output.data, input_tensor.grad, mask.data, 0.1)


class AlphaDropoutModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(in_features=4, out_features=2)
        self.alpha_dropout = nn.AlphaDropout(p=0.1)

    def forward(self, x):
        x = self.linear(x)
        x = self.alpha_dropout(x)
        return x


def test_second_example_from_the_lucid_page(capsys):
    model = AlphaDropoutModel()
    input_data = Tensor([[1.0, 2.0, 3.0, 4.0]], requires_grad=True)
    output = model(input_data)
    print(output)
    output.backward()
    print(input_data.grad)

    assert capsys.readouterr().out.startswith("[[")
    w = model.linear.weight.data
    with lucid.no_grad():
        hidden = model.linear(input_data).data  # the exact values the dropout saw
    bias, x = model.linear.bias.data, input_data.data
    close_sums(hidden, x @ w.T + bias, np.abs(x) @ np.abs(w.T) + np.abs(bias))
    mask = model.alpha_dropout.mask.data
    check_laws(hidden, output.data, None, mask, 0.1)
    a, _, _ = coefficients(0.1)
    upstream = np.float32(a) * mask
    # float32 sums of products: each error is within a few ulps of the summed magnitudes
    # (the weights are random, so a sum may cancel to near zero; a relative bound would not hold).
    close_sums(input_data.grad, upstream @ w, np.abs(upstream) @ np.abs(w))
    close_sums(model.linear.weight.grad, upstream.T @ x, np.abs(upstream).T @ np.abs(x))


def close_sums(actual, desired, magnitude):
    assert actual.shape == desired.shape
    assert np.all(np.abs(actual - desired) <= 4 * np.finfo(np.float32).eps * magnitude)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_laws_hold_for_large_inputs(dtype, p):
    lucid.random.seed(7)
    x = lucid.random.randn(300, 70, dtype=dtype, requires_grad=True)
    layer = nn.AlphaDropout(p)
    y = layer(x)
    assert y.dtype == dtype and y.shape == x.shape
    y.backward()
    check_laws(x.data, y.data, x.grad, layer.mask.data, p)


def test_keep_rate_and_moments_within_sample_bounds():
    n, p = 1_000_000, 0.1
    lucid.random.seed(11)
    x = lucid.random.randn(n, dtype=np.float64)
    layer = nn.AlphaDropout(p)
    y = layer(x).data
    kept = layer.mask.data.sum()
    assert abs(kept - n * (1 - p)) <= 5 * math.sqrt(n * p * (1 - p))
    # Standard errors from the sample: sd/√n for the mean, √((m4 − var²)/n) for the variance.
    mean, var = y.mean(), y.var()
    m4 = ((y - mean) ** 4).mean()
    assert abs(mean) < 5 * math.sqrt(var / n)
    assert abs(var - 1) < 5 * math.sqrt((m4 - var**2) / n)


def test_eval_mode_and_p_zero_are_identity():
    x = Tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    layer = nn.AlphaDropout(0.5).eval()
    y = layer(x)
    np.testing.assert_array_equal(y.data, x.data)
    assert layer.mask is None
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 3.0, np.float32))
    assert F.alpha_dropout(x, p=0.5, training=False) is x

    zero = nn.AlphaDropout(0.0)
    np.testing.assert_array_equal(zero(x).data, x.data)
    np.testing.assert_array_equal(zero.mask.data, np.ones((2, 2), np.float32))


def test_p_one_gives_zeros_and_zero_gradient():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = F.alpha_dropout(x, p=1.0)
    np.testing.assert_array_equal(y.data, np.zeros(3, np.float32))
    y.backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3, np.float32))


def test_same_seed_same_output_and_next_call_new_mask():
    x = lucid.ones(4096)
    lucid.random.seed(123)
    first = F.alpha_dropout(x, 0.5).data.copy()
    second = F.alpha_dropout(x, 0.5).data.copy()
    lucid.random.seed(123)
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.5).data, first)
    assert not np.array_equal(first, second)


def test_explicit_generators_and_streams():
    x = lucid.ones(1000)
    g1, g2 = lucid.random.Generator(5), lucid.random.Generator(5)
    np.testing.assert_array_equal(
        F.alpha_dropout(x, 0.3, generator=g1).data, F.alpha_dropout(x, 0.3, generator=g2).data
    )
    # 1000 elements: 250 words of bytes (256 with block rounding), then 1000 tie words.
    assert g1.get_state() == g2.get_state() == (5, 0, 1264)
    other = F.alpha_dropout(x, 0.3, generator=lucid.random.Generator(5, stream=1)).data
    assert not np.array_equal(F.alpha_dropout(x, 0.3, generator=g1).data, other)
    # The default generator is untouched by explicit ones.
    lucid.random.seed(0)
    F.alpha_dropout(x, 0.3, generator=g1)
    assert lucid.random.get_state() == (0, 0, 0)


_DIGEST = """
import hashlib, lucid, lucid.nn.functional as F
lucid.random.seed(42)
x = lucid.random.randn(1_000_003, requires_grad=True)
y = F.alpha_dropout(x, 0.2)
y.backward()
print(hashlib.sha256(y.data.tobytes() + x.grad.tobytes()).hexdigest())
"""


def test_output_is_bit_identical_for_any_thread_count():
    digests = set()
    for threads in ["1", "2", "8"]:
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        run = subprocess.run(
            [sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True
        )
        digests.add(run.stdout.strip())
    assert len(digests) == 1, digests


@pytest.mark.parametrize("bad", [-0.1, 1.0000001, float("nan"), float("inf"), -float("inf")])
def test_bad_p_is_a_value_error_naming_p(bad):
    with pytest.raises(ValueError, match=r"^p must be a probability in \[0, 1\], got"):
        nn.AlphaDropout(bad)
    with pytest.raises(ValueError, match=r"^p must be"):
        F.alpha_dropout(lucid.ones(3), bad)


@pytest.mark.parametrize("bad", ["0.5", None, [0.5], True])
def test_non_number_p_is_a_type_error_naming_p(bad):
    with pytest.raises(TypeError, match=r"^p must be a number"):
        nn.AlphaDropout(bad)
    with pytest.raises(TypeError, match=r"^p must be a number"):
        F.alpha_dropout(lucid.ones(3), bad)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_and_bool_tensors_are_type_errors_naming_the_dtype(dtype):
    x = Tensor(np.ones(3, dtype=dtype))
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        F.alpha_dropout(x, 0.5)
    with pytest.raises(TypeError, match="input_ must be a lucid Tensor"):
        F.alpha_dropout(np.ones(3, np.float32), 0.5)
    with pytest.raises(TypeError, match="generator"):
        F.alpha_dropout(lucid.ones(3), 0.5, generator=42)


def test_empty_and_zero_d_tensors():
    empty = F.alpha_dropout(lucid.zeros(3, 0, 2), 0.5)
    assert empty.shape == (3, 0, 2)
    x = Tensor(2.0, requires_grad=True)
    layer = nn.AlphaDropout(0.5)
    y = layer(x)
    assert y.shape == () and layer.mask.shape == ()
    y.backward()
    check_laws(x.data, y.data, x.grad, layer.mask.data, 0.5)


def test_nan_stays_nan_where_kept():
    layer = nn.AlphaDropout(0.5)
    y = layer(Tensor(np.full(256, np.nan, np.float32))).data
    kept = layer.mask.data.astype(bool)
    assert np.isnan(y[kept]).all() and not np.isnan(y[~kept]).any()


def test_forward_allocates_the_output_and_keeps_only_the_bits():
    lucid.random.seed(3)
    x = lucid.random.randn(10_000, requires_grad=True)
    before = lucid.memory_allocated()
    y = F.alpha_dropout(x, 0.5)
    assert lucid.memory_allocated() - before == y.data.nbytes
    layer = nn.AlphaDropout(0.5)
    layer(x)
    assert layer._bits.nbytes == math.ceil(10_000 / 64) * 8


def test_inplace_overwrites_the_input_when_no_grad_is_recorded():
    lucid.random.seed(9)
    x = lucid.random.randn(1000)
    original = x.data.copy()
    layer = nn.AlphaDropout(0.2, inplace=True)
    y = layer(x)
    assert y is x
    check_laws(original, x.data, None, layer.mask.data, 0.2)
    # A leaf that requires grad is refused in grad mode, as in PyTorch (a non-leaf is
    # written and recorded: tests/hardening/test_inplace.py).
    with pytest.raises(RuntimeError, match="inplace=True.*leaf Variable that requires grad"):
        layer(Tensor([1.0, 2.0], requires_grad=True))


def test_repr_and_attributes():
    layer = nn.AlphaDropout(p=0.1)
    assert repr(layer) == "AlphaDropout(p=0.1)"
    assert layer.p == 0.1 and layer.mask is None and nn.AlphaDropout().p == 0.5


def test_leaf_keeps_the_fresh_gradient_and_sums_two_paths_correctly(monkeypatch):
    lucid.random.seed(21)
    x = lucid.random.randn(50_000, requires_grad=True, dtype=np.float32)
    first, second = nn.AlphaDropout(0.3), nn.AlphaDropout(0.3)
    (first(x) + second(x) * 2.0).backward()
    a = np.float32(coefficients(0.3)[0])
    want = a * first.mask.data + (a * second.mask.data) * np.float32(2.0)
    np.testing.assert_allclose(x.grad, want, rtol=1e-6)
    # A single path: the kernel's output becomes x.grad without a copy, and it is
    # x's own (a second backward accumulates into it, not into a shared array).
    x.grad = None
    y = F.alpha_dropout(x, 0.3)
    copies = []
    real_copy = lucid._storage.copy_of
    monkeypatch.setattr(lucid._storage, "copy_of", lambda *a: copies.append(1) or real_copy(*a))
    y.backward()
    assert copies == []
    kept = y.data != np.float32(coefficients(0.3)[2])
    np.testing.assert_array_equal(x.grad, np.where(kept, a, np.float32(0)))
    y.backward()
    np.testing.assert_array_equal(x.grad, np.where(kept, 2 * a, np.float32(0)))
