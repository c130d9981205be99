"""lucid.distributed without a group: importing it starts no MPI, calls before
init_process_group are RuntimeErrors naming the call, a missing mpi4py is an ImportError
saying what to install; and a rank that raises ends the whole job instead of leaving
the others waiting. (tests/distributed/_mpi_world.py says how these run.)"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest
from _mpi_world import HERE, ROOT, UNDER_MPIEXEC, child_env, launch, needs_mpi, plain_only

import lucid
import lucid.distributed as dist
from lucid.distributed import group as dist_group


@pytest.fixture
def no_group():
    """No process group during the test (one made by an mpiexec run comes back after)."""
    had = dist.is_initialized()
    if had:
        dist.destroy_process_group()
    yield
    if had:
        dist.init_process_group()


def test_importing_lucid_distributed_does_not_import_mpi4py():
    code = "import sys, lucid.distributed; print('mpi4py' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "call, name",
    [
        (dist.get_rank, "get_rank"),
        (dist.get_world_size, "get_world_size"),
        (dist.barrier, "barrier"),
        (dist.destroy_process_group, "destroy_process_group"),
        (lambda: dist.broadcast(lucid.zeros(2), 0), "broadcast"),
        (lambda: dist.all_reduce(lucid.zeros(2)), "all_reduce"),
        (lambda: dist.all_gather([lucid.zeros(2)], lucid.zeros(2)), "all_gather"),
    ],
)
def test_calls_before_init_are_runtime_errors_naming_the_call(no_group, call, name):
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match=f"^{name}: the process group is not initialized"):
        call()


def test_a_missing_mpi4py_is_an_import_error_saying_what_to_install(no_group, monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    with pytest.raises(ImportError, match='pip install "lucid-rs\\[distributed\\]"'):
        dist.init_process_group()
    assert not dist.is_initialized()


def test_the_install_hint_names_the_distribution_and_its_distributed_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f'pip install "{project["name"]}[distributed]"' in dist_group.INSTALL_HINT
    extra = project["optional-dependencies"]["distributed"]
    assert "mpi4py>=4" in extra and "mpich" in extra


@needs_mpi
def test_a_process_alone_is_a_world_of_one(no_group):
    if UNDER_MPIEXEC:
        pytest.skip("in an mpiexec job the world is the job's")
    dist.init_process_group("mpi")
    try:
        assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
        t = lucid.Tensor([1.5, -2.0])
        dist.all_reduce(t, op="mean")
        assert t.tolist() == [1.5, -2.0]
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


@needs_mpi
@plain_only
def test_an_uncaught_exception_on_one_rank_ends_the_job_with_its_rank():
    result = launch(2, [str(HERE / "job_raise_on_one_rank.py")], timeout=120)
    assert result.returncode != 0
    assert "rank 1 of 2 raised an uncaught exception" in result.stderr
    assert "ZeroDivisionError" in result.stderr
    assert "rank 0 passed the barrier" not in result.stdout
