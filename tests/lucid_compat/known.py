"""Known differences from lucid 2.x, by snippet id (the snippets are in snippets/*.txt).

Each entry is (status, theme, reason). status "keep": a deliberate difference (README's
compatibility table); "open": lucid 2.x behaviour not matched yet, for the fidelity work.
scripts/compat_diff.py fails on any difference not listed here and reports entries that
no longer differ, so this file shrinks as the fidelity work lands.
"""

STATUSES = ("keep", "open")
THEMES = ("dtype", "missing", "signature", "error", "value", "repr", "extension", "random")

KNOWN: dict[str, tuple[str, str, str]] = {}


def _add(status: str, theme: str, reason: str, ids: str) -> None:
    for snippet_id in ids.split():
        KNOWN[snippet_id] = (status, theme, reason)


# ---- keep: deliberate --------------------------------------------------------------------

_add(
    "keep",
    "value",
    "alpha dropout is the exact affine (A, B) correction (README), not "
    "lucid 2.x's x/(1-p) with lambda applied twice",
    "dropout.alpha_values dropout.alpha_moments",
)
_add(
    "keep",
    "signature",
    "p = 1 is allowed (zeros, zero gradient), as PyTorch; lucid 2.x refuses it",
    "dropout.p_one dropout.alpha_p_one",
)
_add(
    "keep",
    "random",
    "the ChaCha8 generator, not numpy's global RNG: the same seed gives other numbers",
    "random.seed_values",
)
_add(
    "keep",
    "value",
    "the gradient of x[idx] adds over repeated indices; lucid 2.x keeps one of them",
    "autograd.index_grad",
)
_add(
    "keep",
    "value",
    "y*y of a non-leaf y differentiates; lucid 2.x raises BackwardError",
    "autograd.intermediate_grad",
)
_add(
    "keep",
    "value",
    "BCE with logits is max(z, 0) - z*t + log(1 + e^-|z|); lucid 2.x adds "
    "max(z, 0) to softplus(-z), counting it twice",
    "loss.bce_logits",
)
_add(
    "keep",
    "error",
    "BCEWithLogitsLoss works; lucid 2.x passes eps= to a function without it (TypeError)",
    "loss.bce_logits_module",
)
_add(
    "keep",
    "error",
    "ignore_index skips the entry; lucid 2.x indexes with it first (IndexError for -100)",
    "loss.ce_ignore_index",
)
_add(
    "keep",
    "error",
    "bad input is a clear TypeError/ValueError naming it (lucid 2.x: IndexError, or accepted)",
    "creation.tensor_bad_data optim.bad_lr",
)
_add(
    "keep",
    "extension",
    "a lucid 3 / PyTorch spelling lucid 2.x lacks, accepted beside lucid 2.x's",
    "creation.dtype_lowercase_float32 math.exp_method loss.mse_none_string "
    "nn.named_parameters nn.zero_grad_module nn.log_softmax dropout.feature_alpha "
    "init.lecun_normal init.calculate_gain",
)
_add(
    "keep",
    "extension",
    "nn.init functions return the tensor (PyTorch); lucid 2.x returns None",
    "init.constant_returns",
)

_add(
    "keep",
    "extension",
    "works here; lucid 2.7.9 has no lucid.autograd, float()/abs() "
    "of a Tensor, nor numpy's protocol (IndexError)",
    "docs.autograd_backward "
    "docs.tensor_float_int docs.tensor_rmatmul docs.tensor_abs_op docs.tensor_array",
)
_add(
    "keep",
    "error",
    "Module without forward raises NotImplementedError (PyTorch); lucid 2.x a TypeError",
    "docs.module_forward_not_implemented",
)

# ---- open: lucid 2.x behaviour not matched yet -------------------------------------------

_add(
    "open",
    "dtype",
    "lucid 2.x infers float64 from Python floats and int64 from ints (we make float32)",
    "creation.tensor_float_list creation.tensor_int_list "
    "creation.tensor_scalar_float creation.tensor_scalar_int creation.tensor_nested "
    "creation.Tensor_class_list creation.dtype_python_float",
)
_add(
    "open",
    "dtype",
    "lucid 2.x creates float64 tensors by default (zeros, ones, eye, arange, randn, rand, Linear)",
    "creation.zeros_tuple creation.zeros_varargs "
    "creation.ones_tuple creation.ones_varargs creation.arange_stop creation.arange_float "
    "creation.eye_n creation.eye_n_m random.randn_dtype random.rand_dtype nn.linear_dtype "
    "nn.linear_forward nn.linear_backward optim.model_training",
)
_add(
    "open",
    "dtype",
    "lucid 2.x gives float64 for a float32 tensor with a Python scalar operand",
    "math.add_scalar math.radd math.sub math.rsub math.mul math.truediv math.rtruediv math.iadd",
)
_add(
    "open",
    "dtype",
    "lucid 2.x's result or gradient is float64 for float32 inputs here",
    "autograd.nonscalar_backward autograd.accumulate autograd.div_grad autograd.max_grad "
    "autograd.where_grad autograd.detach autograd.keep_grad autograd.sqrt_abs_grad "
    "autograd.stack_grad math.concatenate math.stack math.stack_axis1 dropout.p_zero "
    "nn.relu nn.leaky_relu nn.elu nn.selu nn.selu_module nn.gelu nn.sigmoid "
    "nn.activation_grads nn.selu_elu_grads nn.gelu_grad loss.ce_int_targets loss.ce_sum "
    "loss.ce_module loss.bce loss.bce_module loss.bce_logits_pos_weight loss.bce_grad",
)
_add("open", "dtype", "lucid 2.x's argmax/argmin are int32", "math.argmax")
_add(
    "open", "dtype", "lucid 2.x's bernoulli gives int64", "random.bernoulli random.bernoulli_dtype"
)
_add(
    "open",
    "dtype",
    "lucid.tensor([0, 1]) is int64 in lucid 2.x, so cross_entropy takes it as class indices",
    "loss.ce_list_targets",
)
_add(
    "open",
    "missing",
    "lucid 2.x's dtype objects (lucid.Float32, ...) are not defined",
    "   ",
)
_add(
    "open",
    "missing",
    "a lucid 2.x name we do not define yet",
    "creation.full "
    " creation.linspace     "
    "     nn.layernorm "
    "nn.batchnorm1d nn.embedding nn.conv2d dropout.drop_path loss.huber  "
    " optim.rmsprop autograd.register_hook",
)
_add("open", "signature", "reduction=None means no reduction in lucid 2.x", "")
_add("open", "signature", "lucid.save returns the written Path in lucid 2.x", "")
_add(
    "open",
    "value",
    "lucid 2.x's state_dict holds numpy arrays, not Tensors",
    "nn.state_dict_value_type",
)
_add(
    "open",
    "value",
    "lucid 2.x's weighted cross_entropy divides by N, not the weight sum",
    "loss.ce_weight",
)
_add(
    "open",
    "value",
    "lucid 2.x's fan for a 2-D tensor is (shape[0], shape[1]) and Linear "
    "is kaiming_uniform with it",
    "init.kaiming_uniform_bound init.kaiming_normal_std "
    "init.kaiming_normal_fan_out nn.linear_bounds",
)
_add(
    "open",
    "value",
    "lucid 2.x's argmin/argmax without an axis give the unravelled index",
    "math.argmin_all",
)
_add(
    "open",
    "value",
    "an op under no_grad still has requires_grad=True in lucid 2.x",
    "autograd.no_grad_result",
)
_add(
    "open",
    "repr",
    "lucid 2.x's repr ends with device=cpu and str is the array's",
    "creation.tensor_repr creation.tensor_str",
)
_add("open", "repr", "lucid 2.x writes Linear(3, 2, bias=True)", "nn.linear_repr")

_add(
    "open",
    "dtype",
    "lucid.Tensor([0]) is int64 and Tensor([[2.0]]) float64 in lucid 2.x",
    "docs.cross_entropy docs.sequential_forward",
)
_add(
    "open",
    "missing",
    "a lucid 2.x Module or Tensor method or operator we lack",
    "          ",
)
_add(
    "open",
    "value",
    "lucid 2.x's Module.apply visits the module before its children",
    "docs.module_apply",
)
_add(
    "open",
    "error",
    "bool() of a many-element Tensor is a RuntimeError in lucid 2.x",
    "docs.tensor_bool_many",
)
_add(
    "open",
    "repr",
    "lucid 2.x's extra_repr is '3, 2, bias=True'; a Parameter's repr says Tensor(...)",
    "docs.module_extra_repr docs.parameter_repr",
)

# Public names of lucid 2.x that this repository does not define (snippets/names_*.txt).
MISSING = {
    "lucid": """
        BackwardError DeviceMismatchError broadcast_to chunk count_flops diagonal einops
        flops_enabled histogram histogram2d histogramdd linalg masked_fill meshgrid
        nonzero pad roll shape split tensordot to_tensor topk unbind unique
    """,
    "nn": """
        AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d
        AdaptiveMaxPool2d AdaptiveMaxPool3d AvgPool1d AvgPool2d AvgPool3d BatchNorm1d
        BatchNorm2d BatchNorm3d Bilinear Conv1d Conv2d Conv3d ConvBNReLU1d ConvBNReLU2d
        ConvBNReLU3d ConvTranspose1d ConvTranspose2d ConvTranspose3d
        DepthSeparableConv1d DepthSeparableConv2d DepthSeparableConv3d DropBlock
        DropPath Embedding GlobalResponseNorm GroupNorm HardSigmoid HardSwish HuberLoss
        InstanceNorm1d InstanceNorm2d InstanceNorm3d LayerNorm MaxPool1d MaxPool2d
        MaxPool3d Mish MultiHeadAttention ParameterDict ParameterList ReLU6 Rearrange
        SEModule ScaledDotProductAttention SelectiveKernel Swish Transformer
        TransformerDecoder TransformerDecoderLayer TransformerEncoder
        TransformerEncoderLayer Unfold Upsample
    """,
    "F": """
        adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d
        adaptive_max_pool2d adaptive_max_pool3d affine_grid avg_pool1d avg_pool2d
        avg_pool3d batch_norm bilinear conv1d conv2d conv3d conv_transpose1d
        conv_transpose2d conv_transpose3d drop_block drop_path embedding
        global_response_norm grid_sample group_norm huber_loss instance_norm interpolate
        layer_norm max_pool1d max_pool2d max_pool3d normalize one_hot rotate
        scaled_dot_product_attention unfold
    """,
    "optim": """
        ASGD Adadelta Adagrad Adamax NAdam RAdam RMSprop Rprop
    """,
    "random": """

    """,
    "Tensor": """
        all any broadcast_to chunk copy_data copy_grad diagonal eval flops free
        is_all_free is_free masked_fill matmul mlx nonzero pad register_hook roll split
        unbind unique zero
    """,
}
for _group, _names in MISSING.items():
    _add(
        "open",
        "missing",
        f"lucid 2.x's {_group} name is not defined",
        " ".join(f"names.{_group}.{n}" for n in _names.split()),
    )
