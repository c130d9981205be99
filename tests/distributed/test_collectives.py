"""lucid.distributed's collectives on a world of 2 ranks: values, in place on the
storage, rank-order sums, and errors that every rank raises together.

Each ``@collective`` test runs on every rank: in-process under ``mpiexec -n 2 python -m
pytest tests/distributed``, or in a child ``mpiexec -n 2`` job that plain pytest
launches (tests/distributed/_mpi_world.py says how).
"""

from __future__ import annotations

import numpy as np
import pytest
from _mpi_world import collective

import lucid
import lucid.distributed as dist


def _rank_values(rank: int, n: int = 1000) -> np.ndarray:
    # Magnitudes over 12 decades, so float32 sums in another order differ.
    rng = np.random.default_rng(100 + rank)
    return (rng.normal(size=n) * 10.0 ** rng.integers(-6, 6, size=n)).astype(np.float32)


def _address(t: lucid.Tensor) -> int:
    return t.data.__array_interface__["data"][0]


@collective
def test_broadcast_writes_the_source_values_into_the_same_storage():
    rank, size = dist.get_rank(), dist.get_world_size()
    for src in range(size):
        for dtype in (np.float32, np.float64, np.int64, np.bool_):
            t = lucid.Tensor(np.full((2, 3), rank + 1).astype(dtype))
            before = _address(t)
            assert dist.broadcast(t, src=src) is t
            assert _address(t) == before
            np.testing.assert_array_equal(t.data, np.full((2, 3), src + 1).astype(dtype))


@collective
def test_all_reduce_ops_give_their_closed_forms_in_place():
    rank, size = dist.get_rank(), dist.get_world_size()
    base = np.arange(1.0, 7.0).reshape(2, 3)
    ranks = np.arange(1, size + 1, dtype=np.float64)  # rank r holds base * (r + 1)
    expected = {
        "sum": base * ranks.sum(),
        "mean": base * ranks.mean(),
        "avg": base * ranks.mean(),
        "max": base * size,
        "min": base,
        "product": base**size * np.prod(ranks),
        "PRODUCT": base**size * np.prod(ranks),
    }
    for op, want in expected.items():
        t = lucid.Tensor(base * (rank + 1))
        before = _address(t)
        assert dist.all_reduce(t, op=op) is t
        assert _address(t) == before
        np.testing.assert_array_equal(t.data, want)
    t = lucid.Tensor(np.array([rank, 10 * rank], dtype=np.int64))
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    np.testing.assert_array_equal(t.data, [sum(range(size)), 10 * sum(range(size))])


@collective
def test_all_reduce_sum_is_the_rank_order_fold_of_the_gathered_inputs():
    rank, size = dist.get_rank(), dist.get_world_size()
    mine = _rank_values(rank)
    gathered = [lucid.zeros(mine.shape, dtype=lucid.float32) for _ in range(size)]
    dist.all_gather(gathered, lucid.Tensor(mine))
    fold = gathered[0].data.copy()
    for t in gathered[1:]:
        fold = np.add(fold, t.data)
    t = lucid.Tensor(mine)
    dist.all_reduce(t)
    assert t.data.tobytes() == fold.tobytes()
    again = lucid.Tensor(mine)
    dist.all_reduce(again)
    assert again.data.tobytes() == t.data.tobytes()
    # Every rank holds the same bits.
    copies = [lucid.zeros(mine.shape, dtype=lucid.float32) for _ in range(size)]
    dist.all_gather(copies, t)
    assert all(c.data.tobytes() == t.data.tobytes() for c in copies)


@collective
def test_all_gather_fills_the_list_with_each_ranks_tensor_in_place():
    rank, size = dist.get_rank(), dist.get_world_size()
    outputs = [lucid.zeros((3,), dtype=lucid.int64) for _ in range(size)]
    before = [_address(t) for t in outputs]
    result = dist.all_gather(outputs, lucid.Tensor(np.array([rank, rank * 2, 7])))
    assert [_address(t) for t in outputs] == before
    assert all(a is b for a, b in zip(result, outputs, strict=True))
    for r, t in enumerate(outputs):
        np.testing.assert_array_equal(t.data, [r, r * 2, 7])


@collective
def test_shape_or_dtype_mismatch_is_the_same_value_error_on_every_rank():
    rank = dist.get_rank()
    cases = [
        (lambda: dist.all_reduce(lucid.zeros((rank + 1, 2)))),
        (lambda: dist.broadcast(lucid.zeros((2,), dtype=[lucid.float32, lucid.float64][rank]))),
        (
            lambda: dist.all_gather(
                [lucid.zeros(rank + 2), lucid.zeros(rank + 2)], lucid.zeros(rank + 2)
            )
        ),
    ]
    for call in cases:
        with pytest.raises(ValueError, match="rank 0 .* rank 1 "):
            call()
    # The ranks are still in step: a collective afterwards works.
    t = lucid.Tensor(np.array([1.0]))
    dist.all_reduce(t)
    np.testing.assert_array_equal(t.data, [dist.get_world_size()])


@collective
def test_a_problem_on_one_rank_is_a_value_error_on_every_rank():
    rank, size = dist.get_rank(), dist.get_world_size()
    outputs = [lucid.zeros(2) for _ in range(size + (rank == 1))]
    with pytest.raises(ValueError, match=f"rank 1: tensor_list has {size + 1} tensors"):
        dist.all_gather(outputs, lucid.zeros(2))
    integer = lucid.Tensor(np.array([rank]))
    with pytest.raises(ValueError, match="op='mean' needs a float tensor"):
        dist.all_reduce(integer, op="mean")


@collective
def test_bad_arguments_are_type_and_value_errors_naming_them():
    size = dist.get_world_size()
    t = lucid.zeros(2)
    with pytest.raises(TypeError, match="tensor must be a lucid Tensor, got ndarray"):
        dist.all_reduce(np.zeros(2))
    with pytest.raises(TypeError, match="tensor_list\\[1\\] must be a lucid Tensor"):
        dist.all_gather([t, [0.0, 0.0]], t)
    with pytest.raises(ValueError, match=f"src must be a rank in \\[0, {size}\\), got src={size}"):
        dist.broadcast(t, src=size)
    with pytest.raises(ValueError, match="src=-1"):
        dist.broadcast(t, src=-1)
    with pytest.raises(ValueError, match="op must be one of .* got op='median'"):
        dist.all_reduce(t, op="median")
    with pytest.raises(ValueError, match="backend must be 'mpi', got backend='nccl'"):
        dist.init_process_group("nccl")
    with pytest.raises(RuntimeError, match="already initialized"):
        dist.init_process_group("mpi")
    dist.barrier()
