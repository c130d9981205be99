"""Known differences from lucid 2.x, by snippet id (the snippets are in snippets/*.txt).

Each entry is (status, theme, reason). status "keep": a deliberate difference, each
reason a row of README's compatibility table; "open": lucid 2.x behaviour not matched
yet. scripts/compat_diff.py fails on any difference not listed here and reports entries
that no longer differ; tests/lucid_compat/test_lucid_compat.py requires that no entry is
open (every remaining difference is deliberate and documented).
"""

STATUSES = ("keep", "open")
THEMES = ("dtype", "missing", "signature", "error", "value", "repr", "extension", "random")

KNOWN: dict[str, tuple[str, str, str]] = {}


def _keep(theme: str, reason: str, ids: str) -> None:
    for snippet_id in ids.split():
        KNOWN[snippet_id] = ("keep", theme, reason)


# ---- the mission's own choices -------------------------------------------------------

_keep(
    "value",
    "alpha dropout is the exact affine (A, B) correction, not lucid 2.x's x/(1-p) with "
    "lambda applied twice",
    "dropout.alpha_values dropout.alpha_moments",
)
_keep(
    "signature",
    "p = 1 is allowed (zeros, zero gradient), as PyTorch",
    "dropout.p_one dropout.alpha_p_one",
)
_keep(
    "random",
    "the ChaCha8 generator, not numpy's global RNG: the same seed gives other numbers",
    "random.seed_values",
)

# ---- dtypes ---------------------------------------------------------------------------

_keep(
    "dtype",
    "float32 stays float32: a Python scalar does not widen a tensor (numpy 2's rule for "
    "Python scalars, lucid 3's, PyTorch's) and a gradient has its tensor's dtype; lucid 2.x "
    "wraps scalars, and the constants inside its activations and losses, in float64 arrays, "
    "so float32 inputs come out, and get gradients, in float64",
    "math.add_scalar math.radd math.sub math.rsub math.mul math.truediv math.rtruediv math.iadd "
    "autograd.nonscalar_backward autograd.accumulate autograd.div_grad autograd.max_grad "
    "autograd.where_grad autograd.detach autograd.keep_grad autograd.sqrt_abs_grad "
    "autograd.stack_grad math.concatenate math.stack math.stack_axis1 dropout.p_zero "
    "nn.relu nn.leaky_relu nn.elu nn.selu nn.selu_module nn.gelu nn.sigmoid nn.linear_backward "
    "nn.activation_grads nn.selu_elu_grads nn.gelu_grad loss.ce_int_targets loss.ce_sum "
    "loss.ce_module loss.bce loss.bce_module loss.bce_logits_pos_weight loss.bce_grad "
    "loss.ce_list_targets loss.huber layers.huber_float32 layers.mish_float32 "
    "attention.sdpa_float32",
)
_keep(
    "dtype",
    "integers are stored as int64 (numpy's and PyTorch's index type; tensors hold no int8 "
    "or int32): argmax, argmin, nonzero and topk indices, one_hot",
    "math.argmax math.argmin_all more.nonzero more.topk_indices norm.one_hot_infer",
)

# ---- where lucid 2.x computes a wrong value: the right one, as PyTorch ------------------

_keep(
    "value",
    "gradients lucid 2.x gets wrong are right here (checked against finite differences): "
    "x[idx] with repeated indices, conv and conv_transpose bias, batch_norm, layer_norm, "
    "bilinear, embedding rows looked up twice, sum over an inner axis, and linalg's inv, "
    "det, solve, matrix_power, cholesky, qr and svd",
    "autograd.index_grad conv.F_conv2d_grads conv.F_conv_transpose2d_grads "
    "conv.Conv2d_backward norm.batch_norm_grad norm.layer_norm_grad attention.bilinear_grads "
    "norm.embedding_grad layers.selective_kernel_grad more.linalg_inv_grad "
    "more.linalg_det_grad more.linalg_solve_grad more.linalg_matrix_power_grad "
    "more.linalg_cholesky_grad more.linalg_qr_r_grad more.linalg_qr_q_grad "
    "more.linalg_svd_u_grad",
)
_keep(
    "value",
    "y*y of a non-leaf y and pinv of a non-square matrix differentiate; lucid 2.x raises "
    "BackwardError",
    "autograd.intermediate_grad more.linalg_pinv_grad",
)
_keep(
    "value",
    "BCE with logits is max(z, 0) - z*t + log(1 + e^-|z|); lucid 2.x adds max(z, 0) twice",
    "loss.bce_logits",
)
_keep(
    "value",
    "a weighted cross-entropy mean divides by the weight sum (PyTorch, lucid 3), so weight "
    "rebalances classes without rescaling the loss; lucid 2.x divides by N",
    "loss.ce_weight",
)
_keep(
    "value",
    "a 2-D weight's fan_in is shape[1] (its in_features), so kaiming bounds use "
    "in_features, and Linear's lucid 2.x rule (kaiming_uniform, a = 0) gives "
    "±sqrt(6/in_features); lucid 2.7.9 swaps the fans of a 2-D tensor (a bug later 2.x "
    "releases fix)",
    "init.kaiming_uniform_bound init.kaiming_normal_std init.kaiming_normal_fan_out",
)
_keep(
    "value",
    "under no_grad a result does not require grad (no graph is recorded; PyTorch, lucid 3); "
    "lucid 2.x still marks it requires_grad=True",
    "autograd.no_grad_result",
)
_keep(
    "value",
    "BatchNorm's running_mean starts at 0 and running_var at 1, and running statistics "
    "given as plain tensors are updated (PyTorch); lucid 2.x starts them swapped and "
    "updates only nn.Buffer",
    "norm.batchnorm_running_init conv.ConvBNReLU1d_eval norm.batch_norm_running_plain_tensors",
)
_keep(
    "value",
    "global_response_norm is ConvNeXt V2's x + beta + gamma * x * Nx with Nx over the "
    "channels; lucid 2.x normalises over a size-1 axis and drops the residual",
    "norm.grn_values",
)
_keep(
    "value",
    "Embedding's max_norm shrinks only rows above it, in the weight (PyTorch); lucid 2.x "
    "scales every looked-up row to max_norm",
    "norm.embedding_max_norm",
)
_keep(
    "value",
    "pooling and resampling as PyTorch where lucid 2.x's are broken: max pooling pads with "
    "-inf and sends a tie's gradient to the first maximum, adaptive windows use floor/ceil "
    "bounds, bilinear blends, area mode and 3-d adaptive pooling work, grid_sample reads "
    "zeros outside and repeats the edge for border, rotate rotates (counter-clockwise)",
    "pool.max2d_negative_padding pool.max1d_tie_grad pool.adaptive_avg1d_uneven "
    "pool.adaptive_avg3d pool.interpolate_bilinear pool.interpolate_bilinear_align "
    "pool.interpolate_area pool.grid_sample_far_outside pool.grid_sample_border "
    "pool.rotate_zero pool.rotate_90",
)
_keep(
    "value",
    "padding='same' keeps the length for an even kernel too (the extra pad at the end, as "
    "PyTorch); lucid 2.x comes out one short",
    "conv.Conv2d_forward",
)
_keep(
    "value",
    "nn.Unfold gives PyTorch's (N, C*prod(K), L); lucid 2.x reshapes F.unfold's "
    "(N*L, C*prod(K)) rows without a transpose, mixing windows and channels",
    "conv.Unfold_values",
)
_keep(
    "value",
    "attention as PyTorch: MultiHeadAttention splits heads per position (lucid 2.x mixes "
    "positions), a bool attn_mask in scaled_dot_product_attention keeps True positions "
    "(lucid 2.x adds it as 0/1)",
    "attention.MHA_two_heads attention.sdpa_bool_mask",
)
_keep(
    "value",
    "drop layers as their papers: DropPath is the identity in eval mode, DropBlock seeds "
    "blocks only where one fits, so it drops about p; lucid 2.x drops in eval and over-drops",
    "layers.drop_path_eval_identity layers.drop_block_full_map_rate",
)
_keep(
    "value",
    "ParameterList's pl[i] = p keeps position i (PyTorch); lucid 2.x moves it to the end",
    "layers.paramlist_setitem",
)
_keep(
    "value",
    "optimisers where lucid 2.x's rule is a bug follow PyTorch: NAdam (lucid 2.x corrects "
    "both moments twice), Rprop (lucid 2.x's step sizes never adapt), ASGD's first momentum "
    "step (lucid 2.x adds the gradient twice)",
    "optim2.nadam_defaults optim2.nadam_options optim2.rprop_sign_change optim2.rprop_adapts "
    "optim2.asgd_momentum",
)
_keep(
    "value",
    "optimiser state uses PyTorch's buffer names (Adagrad's 'sum'); lucid 2.x's names are "
    "read on load",
    "optim2.adagrad_state_keys",
)
_keep(
    "value",
    "meshgrid's 'ij' and 'xy', tensordot's axes=n, topk's axis and unique's inverse as numpy "
    "and PyTorch; lucid 2.x swaps ij/xy, reads axes=2 as axis 2, slices the last axis and "
    "indexes the inverse into the sorted values",
    "more.meshgrid_ij more.meshgrid_xy more.tensordot_int more.topk_axis0 "
    "more.unique_unsorted_inverse",
)
_keep(
    "value",
    "linalg.eig of a real matrix with real eigenvalues works; lucid 2.x raises KeyError",
    "more.linalg_eig_sym",
)
_keep(
    "value",
    "einops.repeat with a new axis inside a group repeats as einops does; lucid 2.x "
    "leaves a size-1 axis",
    "attention.einops_repeat_in_group",
)

# ---- errors ---------------------------------------------------------------------------

_keep(
    "error",
    "bad input is a clear TypeError/ValueError naming it (lucid 2.x: IndexError, "
    "AssertionError, or accepted)",
    "creation.tensor_bad_data optim.bad_lr attention.sdpa_causal_with_mask",
)
_keep(
    "error",
    "what lucid 2.x refuses or crashes on works: BCEWithLogitsLoss (lucid 2.x passes eps= "
    "to a function without it), ignore_index (it indexes with -100 first), BatchNorm1d on "
    "(N, C) (PyTorch accepts it)",
    "loss.bce_logits_module loss.ce_ignore_index nn.batchnorm1d norm.batchnorm1d_2d_input",
)
_keep(
    "error",
    "Module without forward raises NotImplementedError (PyTorch); lucid 2.x a TypeError",
    "docs.module_forward_not_implemented",
)

# ---- reprs ----------------------------------------------------------------------------

_keep(
    "repr",
    "a layer's repr shows its real settings; lucid 2.x's shows ones it never stores "
    "(channels=None, bias=None, function addresses, a stray 'reversed' attribute)",
    "norm.grn_repr attention.MHA_repr conv.DepthSeparableConv1d_repr",
)

# ---- extensions: more than lucid 2.x has --------------------------------------------------

_keep(
    "extension",
    "a lucid 3 / PyTorch spelling lucid 2.x lacks, accepted beside lucid 2.x's",
    "creation.dtype_lowercase_float32 math.exp_method loss.mse_none_string "
    "nn.named_parameters nn.zero_grad_module nn.log_softmax dropout.feature_alpha "
    "init.lecun_normal init.calculate_gain",
)
_keep(
    "extension",
    "nn.init functions return the tensor (PyTorch); lucid 2.x returns None",
    "init.constant_returns",
)
_keep(
    "extension",
    "works here; lucid 2.7.9 has no lucid.autograd, float()/abs() of a Tensor, nor numpy's "
    "protocol (IndexError)",
    "docs.autograd_backward docs.tensor_float_int docs.tensor_rmatmul docs.tensor_abs_op "
    "docs.tensor_array",
)

# ---- names lucid 2.x has that mean nothing here --------------------------------------------

_keep(
    "missing",
    "no MLX/GPU backend, so none of its methods: Tensor.mlx (an MLX copy), eval (forces "
    "MLX's lazy evaluation), free, is_free, is_all_free (device-movable flags)",
    "names.Tensor.mlx names.Tensor.eval names.Tensor.free names.Tensor.is_free "
    "names.Tensor.is_all_free",
)
_keep(
    "missing",
    "no FLOP counter (count_flops, flops_enabled, Tensor.flops): lucid 2.x sums per-op "
    "estimates; an honest one needs a formula for every op here",
    "names.lucid.count_flops names.lucid.flops_enabled names.Tensor.flops",
)
_keep(
    "missing",
    "no model zoo (lucid 2.x's lucid.models, register_model, MODELS_REGISTRY_PATH): this "
    "library is the layers, not pretrained architectures",
    "names.lucid.register_model names.lucid.MODELS_REGISTRY_PATH",
)
_keep(
    "value",
    "nn.set_state_dict_pass_attr leaves the named attributes out of state_dict; lucid "
    "2.7.9's has no effect (Module.__init__ shadows it with an empty set)",
    "nn.state_dict_pass_attr_layer",
)
