"""Type stubs for lucid._C, the Rust core (src/python/)."""

from collections.abc import Sequence
from typing import Any, final, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "Storage",
    "Generator",
    "Mask",
    "check_p",
    "is_storage_view",
    "is_tensor_values",
    "storage_array",
    "memory_allocated",
    "memory_cached",
    "empty_cache",
    "parallel_copy",
    "sgd_step",
    "adam_step",
    "dropout_coefficients",
    "dropout_forward",
    "dropout_apply",
    "dropout_backward",
    "dropout_mask",
    "dropout_rows_forward",
    "dropout_rows_backward",
    "selu_alpha_dropout_forward",
    "selu_alpha_dropout_backward",
    "selu_alpha_dropout_rows_forward",
    "selu_alpha_dropout_rows_backward",
    "set_num_threads",
    "get_num_threads",
    "_panic_in_pool",
    "set_simd",
    "get_simd",
    "activation_forward",
    "activation_backward",
    "matmul",
    "SELU_ALPHA",
    "SELU_SCALE",
    "ALPHA_PRIME",
    "DEFAULT_CHUNK",
]

SELU_ALPHA: float
SELU_SCALE: float
ALPHA_PRIME: float
DEFAULT_CHUNK: int

@final
class Storage:
    """An owned, 64-byte-aligned buffer; numpy views it through the buffer protocol."""

    def __new__(cls, dtype: str, numel: int, zeroed: bool = True) -> Storage: ...
    @property
    def dtype(self) -> str: ...
    @property
    def numel(self) -> int: ...
    @property
    def nbytes(self) -> int: ...
    def __len__(self) -> int: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...

@final
class Generator:
    """Counter-based ChaCha8: (seed, stream, offset)."""

    def __new__(cls, seed: int, stream: int = 0) -> Generator: ...
    @property
    def seed(self) -> int: ...
    @property
    def stream(self) -> int: ...
    @property
    def offset(self) -> int: ...
    def get_state(self) -> tuple[int, int, int]: ...
    def set_state(self, state: Sequence[int]) -> None: ...
    def manual_seed(self, seed: int) -> None: ...
    def rand(self, numel: int, dtype: str) -> Storage: ...
    def randn(self, numel: int, dtype: str) -> Storage: ...
    def bernoulli(self, probs: npt.NDArray[np.floating[Any]]) -> Storage: ...
    def __reduce__(self) -> tuple[type[Generator], tuple[int, int], tuple[int, int, int]]: ...
    def __setstate__(self, state: Sequence[int]) -> None: ...

@final
class Mask:
    """The kept (1) / dropped (0) bits of one dropout forward, with its coefficients:
    kept y = a·x + b, dropped y = ``dropped``, dx = a·mask·dy."""

    @property
    def a(self) -> float: ...
    @property
    def b(self) -> float: ...
    @property
    def dropped(self) -> float: ...
    @property
    def nbytes(self) -> int: ...
    def __len__(self) -> int: ...
    def count_ones(self) -> int: ...
    def to_storage(self, dtype: str = "float32") -> Storage: ...
    def broadcast(self, noise_shape: tuple[int, ...], shape: tuple[int, ...]) -> Mask: ...
    def rows(self, rows: Sequence[int], row: int) -> Mask: ...
    def __reduce__(self) -> tuple[Any, tuple[tuple[str, float, int, bytes]]]: ...
    @classmethod
    def _from_state(cls, state: tuple[str, float, int, bytes]) -> Mask: ...

def is_storage_view(array: object) -> bool: ...
def is_tensor_values(array: object) -> bool: ...
def storage_array(shape: tuple[int, ...], dtype: str, zeroed: bool = True) -> npt.NDArray[Any]: ...
def memory_allocated() -> int: ...
def memory_cached() -> int: ...
def empty_cache() -> None: ...
def parallel_copy(src: npt.NDArray[np.floating[Any]]) -> Storage: ...
def check_p(p: object) -> float: ...
def sgd_step(
    params: Sequence[npt.NDArray[np.floating[Any]]],
    grads: Sequence[npt.NDArray[np.floating[Any]]],
    buffers: Sequence[npt.NDArray[np.floating[Any]]] | None,
    fresh: Sequence[bool] | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
) -> bool: ...
def adam_step(
    params: Sequence[npt.NDArray[np.floating[Any]]],
    grads: Sequence[npt.NDArray[np.floating[Any]]],
    exp_avgs: Sequence[npt.NDArray[np.floating[Any]]],
    exp_avg_sqs: Sequence[npt.NDArray[np.floating[Any]]],
    max_exp_avg_sqs: Sequence[npt.NDArray[np.floating[Any]]] | None,
    steps: Sequence[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    decoupled: bool,
) -> bool: ...
def dropout_coefficients(p: float, kind: str = "alpha") -> tuple[float, float, float]: ...
def dropout_forward(
    x: npt.NDArray[np.floating[Any]],
    p: float,
    generator: Generator,
    kind: str = "alpha",
    chunk: int | None = None,
) -> tuple[Storage, Mask]: ...
def dropout_apply(x: npt.NDArray[np.floating[Any]], mask: Mask) -> Storage: ...
def dropout_backward(
    dy: npt.NDArray[np.floating[Any]], mask: Mask, chunk: int | None = None
) -> Storage: ...
def dropout_mask(
    numel: int, p: float, generator: Generator, kind: str = "alpha", chunk: int | None = None
) -> Mask: ...
def dropout_rows_forward(
    x: npt.NDArray[np.floating[Any]], mask: Mask, row: int, chunk: int | None = None
) -> Storage: ...
def dropout_rows_backward(
    dy: npt.NDArray[np.floating[Any]], mask: Mask, row: int, chunk: int | None = None
) -> Storage: ...
def selu_alpha_dropout_forward(
    z: npt.NDArray[np.floating[Any]], p: float, generator: Generator, chunk: int | None = None
) -> tuple[Storage, Mask]: ...
def selu_alpha_dropout_backward(
    z: npt.NDArray[np.floating[Any]],
    dy: npt.NDArray[np.floating[Any]],
    mask: Mask,
    chunk: int | None = None,
) -> Storage: ...
def selu_alpha_dropout_rows_forward(
    z: npt.NDArray[np.floating[Any]], mask: Mask, row: int, chunk: int | None = None
) -> Storage: ...
def selu_alpha_dropout_rows_backward(
    z: npt.NDArray[np.floating[Any]],
    dy: npt.NDArray[np.floating[Any]],
    mask: Mask,
    row: int,
    chunk: int | None = None,
) -> Storage: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def _panic_in_pool(message: str) -> None: ...
def set_simd(level: str | None = None, stream_bytes: int | None = None) -> None: ...
def get_simd() -> tuple[str, int]: ...
def activation_forward(
    name: str, x: npt.NDArray[np.floating[Any]], params: tuple[float, ...] = ()
) -> Storage: ...
def activation_backward(
    name: str,
    x: npt.NDArray[np.floating[Any]],
    dy: npt.NDArray[np.floating[Any]],
    params: tuple[float, ...] = (),
) -> Storage: ...
@overload
def matmul(
    a: npt.NDArray[np.floating[Any]], b: npt.NDArray[np.floating[Any]], out: None = None
) -> Storage: ...
@overload
def matmul(
    a: npt.NDArray[np.floating[Any]],
    b: npt.NDArray[np.floating[Any]],
    out: npt.NDArray[np.floating[Any]],
) -> None: ...
