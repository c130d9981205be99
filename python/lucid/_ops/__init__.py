"""The differentiable operations, one module per kind; each op is a small Function.

- ``elementwise``: arithmetic (add, sub, mul, div, neg, pow of either way round), exp,
  log, sqrt, abs, clip, maximum, minimum, comparisons, casts (astype) and clone.
- ``integer``: floor division and the bitwise ops, whose integer or bool results have
  no gradient.
- ``reduce``: sum, mean, max, min, var, std, argmax, argmin.
- ``movement``: reshape, transpose, getitem, setitem, where, concatenate, stack.
- ``views``: view, flatten, squeeze, unsqueeze (reshapes with a rule for the shape).
- ``linalg``: matmul.
- ``inplace``: how writes into an existing tensor (``+=``, ``x[i] = v``) are recorded.
- ``_common``: what they share: result storage, numpy's dtype rules, argument checks.

Each module imports only the tensor and storage layers, autograd and ``_common`` (and
``inplace`` the ops it records); none imports lucid's package. lucid._methods binds
them onto Tensor as its operators and methods.
"""
