"""Optimizer: the base of lucid.optim — parameter groups, zero_grad, step and state dicts.

Subclasses give their hyperparameter checks (``_check_group``) and the update of one
parameter (``_update``), and may update a whole group at once (``_step_group``); the
base walks the groups, skips parameters without a gradient
and keeps per-parameter state in ``self.state`` (keyed by the Parameter, as PyTorch).
Updates write into ``param.data`` in place, so a Module keeps its Parameters.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from lucid import _storage
from lucid._tensor import Tensor
from lucid.autograd import enable_grad
from lucid.nn.parameter import Parameter

__all__ = ["Optimizer", "check_bool", "check_number"]


def check_number(name: str, value: Any, low: float | None = 0.0) -> None:
    """``value`` must be a finite real number (not a bool), and >= ``low`` unless None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {name}={value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {name}={value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {name}={value!r}")


def check_bool(name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {name}={value!r}")


def _param_list(params: Any, where: str) -> list[Parameter]:
    if isinstance(params, Tensor):
        return [params] if isinstance(params, Parameter) else _param_list([params], where)
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{where} must be an ordered collection: a set's order changes between runs"
        )
    if isinstance(params, (str, bytes, Mapping)) or not isinstance(params, Iterable):
        raise TypeError(f"{where} must be an iterable of Parameters, got {type(params).__name__}")
    items = list(params)
    for i, p in enumerate(items):
        if not isinstance(p, Parameter):
            raise TypeError(
                f"optimizers update Parameters only, but {where}[{i}] is "
                f"{type(p).__name__}: wrap it in lucid.nn.Parameter"
            )
    return items


class Optimizer:
    """Base class of the optimizers.

    ``params`` is an iterable of Parameters, or of dicts (param groups) each with a
    ``"params"`` entry and any hyperparameters that override ``defaults`` for that group.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self._check_group(defaults)
        self.defaults = dict(defaults)
        self.state: dict[Parameter, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        # Scratch arrays by dtype, reused by every step (never part of the state).
        self._workspace: dict[np.dtype, np.ndarray] = {}
        if isinstance(params, (Tensor, str, bytes, Mapping)) or not isinstance(params, Iterable):
            raise TypeError(
                "params must be an iterable of Parameters or of param-group dicts, got "
                f"{type(params).__name__} (wrap a single Parameter in a list)"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered collection: a set's order changes")
        items = list(params)
        if not items:
            raise ValueError("params is empty: the optimizer got an empty parameter list")
        kinds = {isinstance(item, dict) for item in items}
        if kinds == {True, False}:
            raise TypeError("params must be all Parameters or all param-group dicts, not both")
        if kinds == {True}:
            for group in items:
                self.add_param_group(group)
        else:
            self._add_group({"params": items}, "params")

    # ---- subclass hooks -------------------------------------------------------------

    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Raise ValueError/TypeError, naming the argument, for a bad hyperparameter."""

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    # ---- groups and gradients -------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group; hyperparameters it leaves out are taken from ``defaults``."""
        self._add_group(param_group, f"param_groups[{len(self.param_groups)}]['params']")

    def _add_group(self, param_group: dict[str, Any], where: str) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"a param group needs a 'params' entry, got keys {list(param_group)}")
        params = _param_list(param_group["params"], where)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError(f"{where} holds a parameter more than once")
        if any(id(p) in ids for group in self.param_groups for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        group = {"params": params}
        for key, value in self.defaults.items():
            group[key] = value
        group.update((k, v) for k, v in param_group.items() if k != "params")
        self._check_group(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every gradient (``grad = None``), or fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None or set_to_none:
                    p.grad = None
                elif p.grad.flags.writeable:
                    p.grad.fill(0)
                else:
                    p.grad = _storage.zeros(p.shape, p.dtype)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss.

        ``closure``, when given, re-evaluates the model (with grad enabled) before the
        update, as PyTorch's does.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            pairs = []
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = np.asarray(p.grad)
                if grad.shape != p.shape:
                    raise ValueError(
                        f"the gradient has shape {grad.shape} but its parameter has shape {p.shape}"
                    )
                if grad.dtype != p.dtype:
                    grad = grad.astype(p.dtype)
                pairs.append((p, grad))
            self._step_group(group, pairs)
        return loss

    def _step_group(self, group: dict[str, Any], pairs: list[tuple[Parameter, np.ndarray]]) -> None:
        """Update one group's parameters that have gradients (with them, checked and in
        the parameter's dtype); SGD and Adam update most of them in one call."""
        for p, grad in pairs:
            self._update(p, grad, self.state.setdefault(p, {}), group)

    def _scratch(self, like: np.ndarray, count: int) -> list[np.ndarray]:
        """``count`` scratch arrays shaped like ``like``, valid until the next call."""
        n = like.size
        buffer = self._workspace.get(like.dtype)
        if buffer is None or buffer.size < count * n:
            buffer = self._workspace[like.dtype] = np.empty(count * n, like.dtype)
        return [buffer[i * n : (i + 1) * n].reshape(like.shape) for i in range(count)]

    @staticmethod
    def _zeros_like(param: Parameter) -> Tensor:
        return Tensor._wrap(_storage.zeros(param.shape, param.dtype))

    # ---- state dicts ----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``{"state": {index: {...}}, "param_groups": [{..., "params":
        [indices]}]}``, parameters numbered in group order.

        State tensors are shared, not copied (as in PyTorch): a later step shows through.
        """
        groups = []
        state: dict[int, dict[str, Any]] = {}
        index = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            for i, p in zip(packed["params"], group["params"], strict=True):
                if self.state.get(p):
                    state[i] = dict(self.state[p])
            index += len(group["params"])
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state from ``state_dict()`` output (copies it).

        Everything is checked before anything changes. Array state is copied into new
        storage in each parameter's dtype and must have its shape; ``step`` becomes an int.
        """
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                "state_dict must be a mapping with 'state' and 'param_groups' entries, got "
                f"{type(state_dict).__name__}"
            )
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(
            self.param_groups
        ):
            count = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else "no"
            raise ValueError(
                f"the loaded state dict has {count} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        by_index: dict[Any, Parameter] = {}
        groups = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            indices = saved.get("params") if isinstance(saved, Mapping) else None
            if not isinstance(indices, (list, tuple)) or len(indices) != len(group["params"]):
                raise ValueError(
                    f"loaded param group {g} does not match the size of the optimizer's "
                    f"group ({len(group['params'])} parameters)"
                )
            by_index.update(zip(indices, group["params"], strict=True))
            new = dict(group)
            new.update((k, copy.deepcopy(v)) for k, v in saved.items() if k != "params")
            self._check_group(new)
            groups.append(new)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"state_dict['state'] must be a mapping, got {type(saved_state)}")
        state = {}
        for index, values in saved_state.items():
            if index not in by_index:
                raise ValueError(f"state for parameter {index!r}, which no param group holds")
            if not isinstance(values, Mapping):
                raise ValueError(f"state[{index!r}] must be a mapping, got {type(values)}")
            param = by_index[index]
            state[param] = {k: _loaded(k, v, param, index) for k, v in values.items()}
        self.param_groups = groups
        self.state = state

    # ---- copies and pickles: the scratch arrays hold nothing between steps ----------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_workspace", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._workspace = {}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


def _loaded(key: str, value: Any, param: Parameter, index: Any) -> Any:
    """One saved state value, made the optimizer's own."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"state[{index!r}][{key!r}] has dtype {array.dtype}, not numeric")
        if key == "step":
            if array.size != 1:
                raise ValueError(f"state[{index!r}]['step'] must be one number")
            return int(array.item())
        if array.shape != param.shape:
            raise ValueError(
                f"state[{index!r}][{key!r}] has shape {array.shape}, its parameter has "
                f"shape {param.shape}"
            )
        return Tensor._wrap(_storage.copy_of(array, param.dtype))
    if key == "step" and isinstance(value, numbers.Real) and not isinstance(value, bool):
        # Exact for ints of any size; numpy floats and other reals go through float.
        return int(value) if isinstance(value, numbers.Integral) else int(float(value))
    return copy.deepcopy(value)
