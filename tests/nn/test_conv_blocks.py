"""nn.ConvBNReLU1d/2d/3d and nn.DepthSeparableConv1d/2d/3d: children and parameter
names as lucid 2.x's, forwards (training and eval) against a numpy composition of the
direct-loop convolution, batch norm and ReLU, the input gradient against finite
differences, the arguments passed through, and reprs."""

import _conv_refs as ref
import numpy as np
import pytest

from lucid import Tensor, nn

BLOCKS = {1: nn.ConvBNReLU1d, 2: nn.ConvBNReLU2d, 3: nn.ConvBNReLU3d}
SEPARABLE = {1: nn.DepthSeparableConv1d, 2: nn.DepthSeparableConv2d, 3: nn.DepthSeparableConv3d}


def data(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape)


def batch_norm_train(y, eps, gamma=None, beta=None):
    axes = (0, *range(2, y.ndim))
    mean, var = y.mean(axis=axes, keepdims=True), y.var(axis=axes, keepdims=True)
    out = (y - mean) / np.sqrt(var + eps)
    if gamma is not None:
        shape = (1, -1) + (1,) * (y.ndim - 2)
        out = out * gamma.reshape(shape) + beta.reshape(shape)
    return out


def block_reference(block, x, stride, padding, dilation, groups):
    conv, bn = block.conv, block.bn
    bias = None if conv.bias is None else conv.bias.data
    y = ref.conv(x, conv.weight.data, bias, stride, padding, dilation, groups)
    gamma = None if bn.weight is None else bn.weight.data
    beta = None if bn.bias is None else bn.bias.data
    return np.maximum(batch_norm_train(y, bn.eps, gamma, beta), 0.0)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_bn_relu_is_the_composition(rank):
    block = BLOCKS[rank](4, 6, 3, stride=2, padding=1, dilation=1, groups=2)
    assert list(block._modules) == ["conv", "bn", "relu"]
    assert [n for n, _ in block.named_parameters()] == [
        "conv.weight", "conv.bias", "bn.weight", "bn.bias",
    ]  # fmt: skip
    assert type(block.conv).__name__ == f"Conv{rank}d"
    assert type(block.bn).__name__ == f"BatchNorm{rank}d"
    block.bn.weight.data[...] = np.linspace(0.5, 1.5, 6)
    block.bn.bias.data[...] = np.linspace(-0.2, 0.3, 6)
    x = data(3, 4, *(5,) * rank)
    y = block(Tensor(x))
    np.testing.assert_allclose(y.data, block_reference(block, x, 2, 1, 1, 2), atol=1e-12)
    assert (y.data == 0).any() and (y.data > 0).any()


def test_conv_bn_relu_eval_uses_the_running_statistics():
    block = nn.ConvBNReLU2d(2, 3, 2, momentum=0.5)
    x = data(4, 2, 4, 4)
    block(Tensor(x))
    y = ref.conv(x, block.conv.weight.data, block.conv.bias.data)
    axes = (0, 2, 3)
    # lucid 2.x's rule: the running variance moves towards the biased batch variance.
    np.testing.assert_allclose(block.bn.running_mean.data, 0.5 * y.mean(axis=axes), atol=1e-12)
    running_var = 0.5 + 0.5 * y.var(axis=axes)
    np.testing.assert_allclose(block.bn.running_var.data, running_var, atol=1e-12)
    block.eval()
    out = block(Tensor(x)).data
    mean = block.bn.running_mean.data.reshape(1, -1, 1, 1)
    var = block.bn.running_var.data.reshape(1, -1, 1, 1)
    expected = np.maximum((y - mean) / np.sqrt(var + block.bn.eps), 0.0)
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_conv_bn_relu_input_gradient_matches_finite_differences():
    block = nn.ConvBNReLU1d(2, 3, 3, padding=1, conv_bias=False)
    x = data(3, 2, 5)
    w = np.random.default_rng(1).standard_normal((3, 3, 5))
    xt = Tensor(x, requires_grad=True)
    (block(xt) * Tensor(w)).sum().backward()
    fd = np.zeros_like(x)
    eps = 1e-6
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        f = (block_reference(block, up, 1, 1, 1, 1) * w).sum()
        b = (block_reference(block, down, 1, 1, 1, 1) * w).sum()
        fd[idx] = (f - b) / (2 * eps)
    assert np.any(fd != 0)
    np.testing.assert_allclose(xt.grad, fd, atol=1e-6, rtol=1e-5)
    assert block.conv.weight.grad is not None and block.conv.bias is None


def test_conv_bn_relu_arguments_pass_through():
    block = nn.ConvBNReLU3d(
        2, 4, (1, 2, 3), (1, 1, 2), "same", 1, 2, False, 1e-3, None, False, False
    )
    conv, bn = block.conv, block.bn
    assert (conv.kernel_size, conv.stride, conv.padding) == ((1, 2, 3), (1, 1, 2), (0, 0, 1))
    assert conv.groups == 2 and conv.bias is None
    assert (bn.eps, bn.momentum, bn.affine, bn.track_running_stats) == (1e-3, None, False, False)
    assert bn.weight is None and bn.running_mean is None
    assert repr(nn.ConvBNReLU2d(3, 8, 3, padding=1)) == (
        "ConvBNReLU2d(\n"
        "  (conv): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (bn): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "  (relu): ReLU()\n"
        ")"
    )


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_depth_separable_is_depthwise_then_pointwise(rank, bias):
    block = SEPARABLE[rank](3, 5, 3, stride=2, padding=1, dilation=1, bias=bias)
    assert list(block._modules) == ["depthwise", "pointwise"]
    dw, pw = block.depthwise, block.pointwise
    assert dw.weight.shape == (3, 1, *(3,) * rank) and dw.groups == 3
    assert pw.weight.shape == (5, 3, *(1,) * rank)
    assert (dw.bias is None, pw.bias is None) == (not bias, not bias)
    x = data(2, 3, *(5,) * rank)
    y = block(Tensor(x))
    mid = ref.conv(x, dw.weight.data, dw.bias.data if bias else None, 2, 1, 1, 3)
    expected = ref.conv(mid, pw.weight.data, pw.bias.data if bias else None)
    np.testing.assert_allclose(y.data, expected, atol=1e-12)


def test_depth_separable_repr_and_errors():
    # lucid 2.x's repr also prints a stray attribute holding the builtin ``reversed``.
    assert repr(nn.DepthSeparableConv1d(4, 8, 3, bias=False)) == (
        "DepthSeparableConv1d(\n"
        "  (depthwise): Conv1d(4, 4, kernel_size=(3,), stride=(1,), groups=4, bias=False)\n"
        "  (pointwise): Conv1d(4, 8, kernel_size=(1,), stride=(1,), bias=False)\n"
        ")"
    )
    with pytest.raises(ValueError, match="expected 4-D input"):
        nn.DepthSeparableConv2d(2, 2, 3)(Tensor(np.zeros((1, 2, 5))))
    with pytest.raises(ValueError, match="kernel_size must hold ints >= 1"):
        nn.DepthSeparableConv2d(2, 2, 0)
    with pytest.raises(ValueError, match="expected 3-D input"):
        nn.ConvBNReLU1d(2, 2, 1)(Tensor(np.zeros((1, 2, 3, 3))))
