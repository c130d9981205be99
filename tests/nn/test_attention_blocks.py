"""nn.SEModule and nn.SelectiveKernel: values against numpy references written with
loops (convolution, batch norm, softmax), gradients by finite differences, lucid 2.x's
child names, reprs and state_dict keys, and the errors."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, nn

RNG = np.random.default_rng(0)


def ref_conv(x, w, stride=1, pad=0, groups=1):
    n, c, h, wd = x.shape
    o, cg, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((n, o, ho, wo))
    per = o // groups
    for b in range(n):
        for oc in range(o):
            g = oc // per
            for i in range(ho):
                for j in range(wo):
                    patch = xp[b, g * cg : (g + 1) * cg, i * stride : i * stride + k]
                    out[b, oc, i, j] = (patch[:, :, j * stride : j * stride + k] * w[oc]).sum()
    return out


def ref_batch_norm_train(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def ref_se(x, w1, b1, w2, b2):
    s = x.mean(axis=(2, 3))
    h = np.maximum(s @ w1.T + b1, 0)
    gate = 1 / (1 + np.exp(-(h @ w2.T + b2)))
    return x * gate[:, :, None, None]


def ref_sk(x, module, stride=1, groups=1, pad=None, bn=None):
    outs = []
    for branch in module.branches:
        k = branch.weight.shape[-1]
        outs.append(ref_conv(x, branch.weight.data, stride, k // 2 if pad is None else pad, groups))
    stacked = np.stack(outs, axis=1)
    pooled = stacked.sum(axis=1).mean(axis=(2, 3), keepdims=True)
    z = ref_conv(pooled, module.attention[1].weight.data)
    norm = module.attention[2]
    if bn is None:
        z = ref_batch_norm_train(z, norm.weight.data, norm.bias.data)
    else:
        z = (z - bn[0].reshape(1, -1, 1, 1)) / np.sqrt(bn[1].reshape(1, -1, 1, 1) + 1e-5)
        z = z * norm.weight.data.reshape(1, -1, 1, 1) + norm.bias.data.reshape(1, -1, 1, 1)
    scores = ref_conv(np.maximum(z, 0), module.attention[4].weight.data)[:, :, 0, 0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = e / e.sum(axis=1, keepdims=True)
    return (stacked * weights[:, :, None, None, None]).sum(axis=1)


def randomise(module, scale=0.5):
    with lucid.no_grad():
        for p in module.parameters():
            p.data[...] = RNG.uniform(-scale, scale, p.shape)
    return module


# ---- SEModule ---------------------------------------------------------------------------


def test_se_module_children_repr_and_state_dict_are_lucids():
    m = nn.SEModule(8, 4)
    assert repr(m) == (
        "SEModule(\n  (avgpool): AdaptiveAvgPool2d(output_size=(1, 1))\n"
        "  (fc1): Linear(8, 2, bias=True)\n  (fc2): Linear(2, 8, bias=True)\n"
        "  (relu): ReLU()\n  (sigmoid): Sigmoid()\n)"
    )
    assert list(m.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert nn.SEModule(32).fc1.out_features == 2  # reduction defaults to 16


def test_se_module_values_and_input_gradient():
    m = randomise(nn.SEModule(6, 2))
    params = [p.data.copy() for p in (m.fc1.weight, m.fc1.bias, m.fc2.weight, m.fc2.bias)]
    # The layer follows the input's dtype (check_op runs float64, then float32).
    check_op(lambda x: m.to(x.dtype)(x), (2, 6, 3, 2), ref=lambda x: ref_se(x, *params))


def test_se_module_weight_gradient_by_finite_differences():
    m = randomise(nn.SEModule(4, 2))
    x = RNG.standard_normal((2, 4, 2, 3))
    w = RNG.standard_normal((2, 4, 2, 3))
    (m(Tensor(x)) * Tensor(w)).sum().backward()
    params = [p.data.copy() for p in (m.fc1.weight, m.fc1.bias, m.fc2.weight, m.fc2.bias)]
    for which in range(4):
        fd = np.zeros_like(params[which])
        for idx in np.ndindex(fd.shape):
            shifted = [p.copy() for p in params]
            shifted[which][idx] += 1e-6
            up = (ref_se(x, *shifted) * w).sum()
            shifted[which][idx] -= 2e-6
            fd[idx] = (up - (ref_se(x, *shifted) * w).sum()) / 2e-6
        grad = [m.fc1.weight, m.fc1.bias, m.fc2.weight, m.fc2.bias][which].grad
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)


def test_se_module_float32_stays_float32():
    m = nn.SEModule(4, 2).to(np.float32)
    y = m(Tensor(RNG.standard_normal((1, 4, 2, 2)).astype(np.float32)))
    assert y.dtype == np.float32 and y.shape == (1, 4, 2, 2)


def test_se_module_errors():
    with pytest.raises(ValueError, match="4-D"):
        nn.SEModule(4, 2)(Tensor(np.ones((4, 2, 2))))
    with pytest.raises(ValueError, match="leaves no channel"):
        nn.SEModule(8)  # 8 // 16 = 0: lucid 2.x's ZeroDivisionError
    with pytest.raises(ValueError, match="reduction must be >= 1"):
        nn.SEModule(8, 0)
    with pytest.raises(TypeError, match="in_channels must be an int"):
        nn.SEModule(8.0)


# ---- SelectiveKernel --------------------------------------------------------------------


def test_selective_kernel_children_repr_and_state_dict_are_lucids():
    m = nn.SelectiveKernel(4, 4, [3, 5], reduction=2)
    assert list(m.state_dict()) == [
        "branches.0.weight",
        "branches.1.weight",
        "attention.1.weight",
        "attention.2.weight",
        "attention.2.bias",
        "attention.2.running_mean",
        "attention.2.running_var",
        "attention.4.weight",
    ]
    text = repr(m)
    assert text.startswith("SelectiveKernel(\n  (branches): ModuleList(\n    (0): Conv2d(4, 4, ")
    second = "(1): Conv2d(4, 4, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), bias=False)"
    assert second in text
    assert "(0): AdaptiveAvgPool2d(output_size=(1, 1))" in text
    assert text.endswith("  (softmax): Softmax(axis=1)\n)")
    assert m.branches[0].bias is None and len(m.attention) == 5


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"kernel_sizes": [3, 5], "reduction": 2}, (2, 4, 5, 5)),
        ({"kernel_sizes": [1, 3, 5], "reduction": 4, "stride": 2}, (3, 4, 6, 6)),
        ({"kernel_sizes": [3], "reduction": 1, "groups": 2}, (2, 4, 4, 3)),
    ],
)
def test_selective_kernel_values_in_training_and_eval(kwargs, shape):
    m = randomise(nn.SelectiveKernel(shape[1], 4, **kwargs))
    x = RNG.standard_normal(shape)
    opts = {"stride": kwargs.get("stride", 1), "groups": kwargs.get("groups", 1)}
    np.testing.assert_allclose(m(Tensor(x)).data, ref_sk(x, m, **opts), rtol=1e-9, atol=1e-12)
    m.eval()
    bn = m.attention[2]
    stats = (bn.running_mean.data.copy(), bn.running_var.data.copy())
    np.testing.assert_allclose(
        m(Tensor(x)).data, ref_sk(x, m, bn=stats, **opts), rtol=1e-9, atol=1e-12
    )


def test_selective_kernel_input_gradient():
    m = randomise(nn.SelectiveKernel(2, 4, [1, 3], reduction=2)).eval()
    bn = m.attention[2]
    with lucid.no_grad():
        bn.running_mean.data[...] = [0.1, -0.2]
        bn.running_var.data[...] = [0.5, 2.0]
    stats = (bn.running_mean.data.copy(), bn.running_var.data.copy())
    check_op(lambda x: m.to(x.dtype)(x), (2, 2, 3, 3), ref=lambda x: ref_sk(x, m, bn=stats))


def test_selective_kernel_explicit_padding_and_weights_get_gradients():
    m = nn.SelectiveKernel(3, 4, [3, 3], padding=0, reduction=2)
    y = m(Tensor(RNG.standard_normal((2, 3, 5, 5))))
    assert y.shape == (2, 4, 3, 3)
    y.sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_selective_kernel_errors():
    with pytest.raises(ValueError, match="differ in shape"):
        nn.SelectiveKernel(2, 2, [2, 3], reduction=1)(Tensor(np.ones((1, 2, 4, 4))))
    with pytest.raises(ValueError, match="4-D"):
        nn.SelectiveKernel(2, 2, [3], reduction=1)(Tensor(np.ones((2, 4, 4))))
    with pytest.raises(ValueError, match="at least one kernel size"):
        nn.SelectiveKernel(2, 2, [], reduction=1)
    with pytest.raises(TypeError, match="kernel_sizes must be a list of ints"):
        nn.SelectiveKernel(2, 2, 3)
    with pytest.raises(TypeError, match=r"kernel_sizes\[i\] must be an int"):
        nn.SelectiveKernel(2, 2, [3.0])
    with pytest.raises(ValueError, match="leaves no channel"):
        nn.SelectiveKernel(2, 8, [3])  # 8 // 16
