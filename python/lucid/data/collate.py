"""default_collate: a list of samples made into one batch of lucid Tensors; fetch: a
batch of a dataset's samples, as the loader and its workers take it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lucid._ops.movement import stack
from lucid._tensor import Tensor
from lucid.data.datasets import TensorDataset

__all__ = ["default_collate", "fetch"]

_NUMBERS = (bool, int, float, np.bool_, np.number)


def default_collate(batch: list[Any]) -> Any:
    """One batch from a list of samples of one structure, stacked along a new axis 0:

    - Tensors: ``lucid.stack`` (dtype kept; the graph too, as lucid 2.x);
    - numpy arrays and numbers: one new Tensor, numpy's dtype (Python ints int64,
      floats float64, bools bool; unsigned and narrow ints stored as int64);
    - tuples and lists: a tuple (a named tuple of its class) of each field collated,
      as lucid 2.x; dicts: a dict of each key collated;
    - anything else (strings, None, ...): the list as it is.
    """
    if not isinstance(batch, (list, tuple)) or not batch:
        raise TypeError(f"default_collate needs a non-empty list of samples, got {batch!r:.80}")
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(list(batch), axis=0)
    if isinstance(first, np.ndarray):
        return Tensor(np.stack([np.asarray(x) for x in batch]))
    if isinstance(first, _NUMBERS) and not isinstance(first, str):
        return Tensor(np.array(batch))
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        size = len(first)
        for i, sample in enumerate(batch):
            if not isinstance(sample, (tuple, list)) or len(sample) != size:
                raise ValueError(
                    f"default_collate: every sample must have {size} fields as sample 0 has, "
                    f"sample {i} is {sample!r:.80}"
                )
        fields = [default_collate(list(column)) for column in zip(*batch, strict=True)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):
            return type(first)(*fields)
        return tuple(fields)
    return list(batch)


def fetch(dataset: Any, indices: Any, collate_fn: Any) -> Any:
    """``collate_fn([dataset[i] for i in indices])``.

    A TensorDataset under ``default_collate`` whose tensors do not require grad is
    gathered instead, one numpy take per tensor into new storage: the values, dtypes
    and shapes of the samples' stack, without a Tensor per sample (128 indexing ops
    for a batch of 64 pairs). A tensor that requires grad keeps the per-sample path,
    whose stack carries the graph.
    """
    if (
        collate_fn is default_collate
        and type(dataset) is TensorDataset
        and len(indices)
        and not any(t.requires_grad for t in dataset.tensors)
    ):
        picked = np.asarray(indices, dtype=np.int64)  # a bad index: numpy's IndexError
        return tuple(Tensor(np.take(t.data, picked, axis=0)) for t in dataset.tensors)
    return collate_fn([dataset[i] for i in indices])
