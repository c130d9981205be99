"""State dicts: a Module's parameters and persistent buffers by dotted name (numpy copies,
as lucid 2.x's), loading them back in place, as PyTorch does, and the state-dict hooks
of later lucid 2.x releases (registered through lucid.nn.hooks): ``state_dict`` runs
each module's ``hook(module, prefix, keep_vars)`` pre-hooks first and ``hook(module, destination,
prefix, keep_vars)`` hooks last, in the recursion; ``load_state_dict`` runs the loaded
module's ``hook(module, state_dict, strict)`` before any check and ``hook(module,
missing_keys, unexpected_keys, strict)`` after the copy (its own ``state_dict`` call
runs the state-dict hooks too, as in lucid)."""

from __future__ import annotations

import sys
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any

import numpy as np

from lucid import _storage
from lucid._ops.inplace import bump
from lucid._tensor import Tensor

__all__ = ["IncompatibleKeys", "StateDictKeyError", "StateDictMixin"]


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` found missing from, or unexpected in, a state dict."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class StateDictKeyError(KeyError, RuntimeError):
    """Missing or unexpected keys in a strict ``load_state_dict``: both a KeyError (a key
    problem) and a RuntimeError (what PyTorch raises), so either ``except`` catches it."""

    def __str__(self) -> str:
        # KeyError's str() would repr-quote the multi-line message.
        return str(self.args[0]) if self.args else ""


class _Progress:
    """A one-line counter on stderr, rewritten in place and cleared at the end."""

    def __init__(self, desc: str | None, total: int) -> None:
        self.desc, self.total, self.done, self.width = desc or "Applying state-dict", total, 0, 0

    def step(self) -> None:
        self.done += 1
        line = f"{self.desc}: {self.done}/{self.total} param"
        self.width = max(self.width, len(line))
        sys.stderr.write("\r" + line)
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r" + " " * self.width + "\r")
        sys.stderr.flush()


def _values(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class StateDictMixin:
    """``state_dict`` and ``load_state_dict`` of Module."""

    _parameters: dict[str, Any]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Any]
    _non_persistent_buffers: set[str]

    def state_dict(
        self, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Any]:
        """Parameters and persistent buffers by dotted name, in registration order.

        Each value is a numpy copy of the tensor's values (in Rust storage), as in
        lucid 2.x (PyTorch gives detached tensors sharing storage): a later optimiser
        step does not show through. ``keep_vars=True`` gives the tensors themselves.
        """
        if destination is None:
            destination = OrderedDict()
        hooks = self.__dict__
        for hook in list(hooks.get("_state_dict_pre_hooks", {}).values()):
            hook(self, prefix, keep_vars)
        # Names a lucid 2.x set_state_dict_pass_attr decorator leaves out.
        passed: frozenset[str] = getattr(type(self), "_state_dict_pass_attr", frozenset())
        for name, param in self._parameters.items():
            if param is not None and name not in passed:
                destination[prefix + name] = param if keep_vars else _storage.copy_of(param.data)
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers | passed:
                destination[prefix + name] = buffer if keep_vars else _storage.copy_of(buffer.data)
        for name, module in self._modules.items():
            if module is not None and name not in passed:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        for hook in list(hooks.get("_state_dict_hooks", {}).values()):
            hook(self, destination, prefix, keep_vars)
        return destination

    def load_state_dict(
        self,
        state_dict: Mapping[str, Any],
        strict: bool = True,
        *,
        verbose: bool = False,
        progress_desc: str | None = None,
    ) -> IncompatibleKeys:
        """Copy ``state_dict``'s values into this module's tensors, in place.

        Everything is checked before anything is copied, so a failed load changes nothing.
        With ``strict``, missing or unexpected keys raise StateDictKeyError (a KeyError and
        a RuntimeError); a shape mismatch is a ValueError in either mode. Values may be
        Tensors or arrays; they are cast to each tensor's dtype. ``verbose=True`` shows
        the copy's progress on stderr under ``progress_desc`` ("Applying state-dict" by
        default) and clears the line when done, as lucid 2.x's progress bar.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
        if not isinstance(verbose, (bool, np.bool_)):
            raise TypeError(f"load_state_dict: verbose must be a bool, got {verbose!r}")
        if progress_desc is not None and not isinstance(progress_desc, str):
            raise TypeError(
                f"load_state_dict: progress_desc must be a str or None, got {progress_desc!r}"
            )
        for hook in list(self.__dict__.get("_load_state_dict_pre_hooks", {}).values()):
            hook(self, state_dict, strict)
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        if strict and (missing or unexpected):
            problems = []
            if unexpected:
                problems.append(
                    "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
                )
            if missing:
                problems.append(
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing)
                )
            raise StateDictKeyError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + ".\n\t".join(problems)
                + "."
            )
        sources = {key: _values(state_dict[key]) for key in own if key in state_dict}
        for key, values in sources.items():
            if tuple(values.shape) != tuple(own[key].shape):
                raise ValueError(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{tuple(values.shape)} from checkpoint, the shape in current model is "
                    f"{tuple(own[key].shape)}"
                )
        progress = _Progress(progress_desc, len(sources)) if verbose and sources else None
        for key, values in sources.items():
            np.copyto(own[key].data, values, casting="unsafe")
            bump(own[key])  # an op that saved the old values must not use them in backward
            if progress is not None:
                progress.step()
        if progress is not None:
            progress.close()
        for hook in list(self.__dict__.get("_load_state_dict_post_hooks", {}).values()):
            hook(self, missing, unexpected, strict)
        return IncompatibleKeys(missing, unexpected)
