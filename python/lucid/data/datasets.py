"""Map-style datasets: an abstract Dataset, and the Subset, TensorDataset and
ConcatDataset built from others (lucid 2.x's lucid.data classes)."""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from lucid._tensor import Tensor

__all__ = ["ConcatDataset", "Dataset", "Subset", "TensorDataset"]


def check_index(name: str, index: Any) -> int:
    """An int index (numpy integers too); anything else is a TypeError naming it."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(index).__name__} {index!r}")
    return int(index)


class Dataset(ABC):
    """A sized collection of samples, indexed 0, 1, ..., len − 1; ``a + b`` joins two."""

    @abstractmethod
    def __getitem__(self, idx: Any) -> Any:
        raise NotImplementedError("Subclasses must implement __getitem__.")

    @abstractmethod
    def __len__(self) -> int:
        raise NotImplementedError("Subclasses must implement __len__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"Dataset(n={len(self)})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order; other attributes are
    looked up on ``dataset``."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        n = len(dataset)
        if isinstance(indices, (Tensor, np.ndarray)):
            indices = indices.tolist()
        checked = []
        for i, index in enumerate(indices):
            value = check_index(f"indices[{i}]", index)
            if not 0 <= value < n:
                raise ValueError(
                    f"indices[{i}] must be in [0, {n}) for a dataset of {n} samples, got {value}"
                )
            checked.append(value)
        self.dataset = dataset
        self.indices = checked

    def __getitem__(self, idx: Any) -> Any:
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self) -> Iterator[Any]:
        for i in self.indices:
            yield self.dataset[i]

    def __getattr__(self, name: str) -> Any:
        if name in ("dataset", "indices") or name.startswith("__"):
            raise AttributeError(name)  # before __init__ ran (copy, pickle): no recursion
        return getattr(self.dataset, name)

    def __repr__(self) -> str:
        return f"Subset(n={len(self)})"


class TensorDataset(Dataset):
    """Sample i is the tuple of row i of each tensor (arrays and lists become tensors);
    all must have the same first dimension."""

    def __init__(self, *tensors_or_arrays: Any) -> None:
        if not tensors_or_arrays:
            raise ValueError("TensorDataset needs at least one tensor or array, got none")
        tensors = []
        for i, item in enumerate(tensors_or_arrays):
            try:
                tensor = item if isinstance(item, Tensor) else Tensor(item)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"TensorDataset: tensors[{i}] cannot be a tensor: {type(item).__name__} ({exc})"
                ) from exc
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset: tensors[{i}] must be at least 1-D, got 0-D")
            tensors.append(tensor)
        n0 = tensors[0].shape[0]
        for i, tensor in enumerate(tensors[1:], 1):
            if tensor.shape[0] != n0:
                raise ValueError(
                    "TensorDataset: all tensors must have the same length along axis 0: "
                    f"tensors[0] has {n0}, tensors[{i}] has {tensor.shape[0]}"
                )
        self._tensors: tuple[Tensor, ...] = tuple(tensors)

    def __len__(self) -> int:
        return int(self._tensors[0].shape[0])

    def __getitem__(self, idx: Any) -> tuple[Any, ...]:
        return tuple(t[idx] for t in self._tensors)

    def to(self, device: Any) -> TensorDataset:
        self._tensors = tuple(t.to(device) for t in self._tensors)
        return self

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        return self._tensors

    def __repr__(self) -> str:
        shapes = ", ".join(str(t.shape) for t in self._tensors)
        devices = {t.device for t in self._tensors}
        return f"TensorDataset(n={len(self)}, shapes=({shapes}), devices={devices})"


class ConcatDataset(Dataset):
    """The samples of ``datasets`` one after the other."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        self.cumulative_sizes = self._compute_cumulative_sizes()

    def _compute_cumulative_sizes(self) -> list[int]:
        sizes, total = [], 0
        for dataset in self.datasets:
            total += len(dataset)
            sizes.append(total)
        return sizes

    def __len__(self) -> int:
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, idx: Any) -> Any:
        idx = check_index("idx", idx)
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a dataset of {n} samples")
        if idx < 0:
            idx += n
        part = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][idx - start]

    def __repr__(self) -> str:
        return f"ConcatDataset(n={len(self)}, parts={len(self.datasets)})"
