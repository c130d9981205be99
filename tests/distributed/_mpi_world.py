"""How the tests in tests/distributed run, both under plain pytest and under mpiexec.

- ``@collective`` marks a test that needs a world of ranks. Under ``mpiexec -n 2 python
  -m pytest tests/distributed`` (the process sees MPI's PMI_SIZE or OMPI_COMM_WORLD_SIZE)
  every rank runs it in-process, in the group lucid.distributed makes once. Under plain
  pytest it launches ``mpiexec -n 2 python -m pytest <this test>`` in a child with a
  timeout (one job per test file, run the first time one of its tests needs it) and
  passes when both ranks of that job report the test passed.
- ``launch(n, args)`` runs ``mpiexec -n n python args…`` with a timeout; the tests whose
  job must end (one rank raising) or that compare whole runs use it, and they run under
  plain pytest only (``plain_only``): under mpiexec each rank would launch its own job.
- Without mpi4py or mpiexec every test here is skipped.

Children get RAYON_NUM_THREADS=1 and OMP_NUM_THREADS=1 (two cores), this lucid's
directory first on PYTHONPATH, and none of the parent's MPI variables.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import lucid
import lucid.distributed as dist

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent  # also holds the jobs: job_*.py
UNDER_MPIEXEC = any(k in os.environ for k in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"))
_local = Path(sys.executable).parent / "mpiexec"
MPIEXEC = str(_local) if _local.exists() else shutil.which("mpiexec")
HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and MPIEXEC is not None
TIMEOUT = 180  # seconds for one child job, far above its normal few seconds

needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="needs mpi4py and mpiexec")
plain_only = pytest.mark.skipif(
    UNDER_MPIEXEC, reason="launches its own mpiexec job; run by plain pytest"
)


def child_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PMI_", "PMIX_", "HYDRA_", "MPI_", "OMPI_", "MPIR_"))
    }
    paths = [str(Path(lucid.__file__).resolve().parent.parent), str(ROOT / "tests")]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["RAYON_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    return env


def launch(n: int, args: list[str], timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """``mpiexec -n n python args…`` from the repository root; its output captured."""
    assert MPIEXEC is not None
    return subprocess.run(
        [MPIEXEC, "-n", str(n), sys.executable, *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def world() -> None:
    """Make the group of this mpiexec job, once."""
    if not dist.is_initialized():
        dist.init_process_group("mpi")


# A test file's child job under plain pytest, run once for all its collective tests.
_jobs: dict[str, subprocess.CompletedProcess] = {}


def _job(path: Path) -> subprocess.CompletedProcess:
    key = str(path)
    if key not in _jobs:
        args = ["-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", key]
        _jobs[key] = launch(2, args)
    return _jobs[key]


def collective(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``test`` on every rank of a 2-process world (see the module docstring).

    Under plain pytest the first collective test of a file launches one job running
    the whole file on 2 ranks; each test then passes when both ranks report it passed.
    """

    @needs_mpi
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        if UNDER_MPIEXEC:
            world()
            test(*args, **kwargs)
            return
        path = Path(test.__code__.co_filename).resolve()
        result = _job(path)
        # This test's id with its parameters, as the child's reports name it.
        node = os.environ["PYTEST_CURRENT_TEST"].rsplit(" ", 1)[0]
        # The ranks' outputs interleave, so count the reports anywhere in the text.
        passed = len(re.findall(rf"PASSED {re.escape(node)}(?![\w\[])", result.stdout))
        if passed != 2:
            pytest.fail(
                f"{node} passed on {passed} of 2 ranks (job exit {result.returncode}):\n"
                + result.stdout[-6000:]
                + result.stderr[-3000:],
                pytrace=False,
            )

    return run
