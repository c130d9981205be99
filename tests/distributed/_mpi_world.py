"""How the tests in tests/distributed run, both under plain pytest and under mpiexec.

- ``@collective`` marks a test that needs a world of ranks. Under ``mpiexec -n 2 python
  -m pytest tests/distributed`` (the process sees MPI's PMI_SIZE or OMPI_COMM_WORLD_SIZE)
  every rank runs it in-process, in the group lucid.distributed makes once. Under plain
  pytest it launches ``mpiexec -n 2 python -m pytest <this test>`` in a child with a
  timeout (one job per test file, run the first time one of its tests needs it) and
  passes when both ranks of that job report the test passed (each rank writes a JUnit
  report of its own, since the ranks' terminal outputs interleave).
- ``launch(n, args)`` runs ``mpiexec -n n python args…`` with a timeout; the tests whose
  job must end (one rank raising) or that compare whole runs use it, and they run under
  plain pytest only (``plain_only``): under mpiexec each rank would launch its own job.
- Without mpi4py or mpiexec every test here is skipped.

Under mpiexec pytest catches a failing test's exception, so it does not abort the job:
a test failing on one rank only may leave the other waiting in a collective, and the
``timeout 300`` around CI's mpiexec call ends it. Under plain pytest the child job's
timeout does the same.

Children get RAYON_NUM_THREADS=1 and OMP_NUM_THREADS=1 (two cores), this lucid's
directory first on PYTHONPATH, and none of the parent's MPI variables.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
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


# A test file's child job under plain pytest, run once for all its collective tests:
# its output, and each test's outcome on each rank (by test name with parameters).
_jobs: dict[str, tuple[subprocess.CompletedProcess, dict[str, list[str]]]] = {}

# Each rank writes its own JUnit report: the ranks' terminal outputs interleave.
_RANK_PYTEST = (
    "import os, sys, pytest\n"
    "rank = os.environ.get('PMI_RANK') or os.environ.get('OMPI_COMM_WORLD_RANK')\n"
    "report = os.path.join(sys.argv[2], 'rank' + rank + '.xml')\n"
    "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', sys.argv[1], '--junitxml=' + report]))\n"
)


def _outcome(case: ET.Element) -> str:
    tags = {child.tag for child in case}
    if tags & {"failure", "error"}:
        return "failed"
    return "skipped" if "skipped" in tags else "passed"


def _job(path: Path) -> tuple[subprocess.CompletedProcess, dict[str, list[str]]]:
    key = str(path)
    if key not in _jobs:
        with tempfile.TemporaryDirectory(prefix="lucid-mpi-") as reports:
            result = launch(2, ["-c", _RANK_PYTEST, key, reports])
            outcomes: dict[str, list[str]] = {}
            for report in sorted(Path(reports).glob("rank*.xml")):
                for case in ET.parse(report).iter("testcase"):
                    outcomes.setdefault(case.get("name", ""), []).append(_outcome(case))
        _jobs[key] = (result, outcomes)
    return _jobs[key]


def collective(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``test`` on every rank of a 2-process world (see the module docstring).

    Under plain pytest the first collective test of a file launches one job running
    the whole file on 2 ranks; each test then passes when both ranks' reports say it
    passed.
    """

    @needs_mpi
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        if UNDER_MPIEXEC:
            world()
            test(*args, **kwargs)
            return
        result, outcomes = _job(Path(test.__code__.co_filename).resolve())
        # This test's name with its parameters, as the reports name it.
        name = os.environ["PYTEST_CURRENT_TEST"].rsplit(" ", 1)[0].split("::")[-1]
        if outcomes.get(name) != ["passed", "passed"]:
            pytest.fail(
                f"{name}: {outcomes.get(name)} on the 2 ranks (job exit {result.returncode}):\n"
                + result.stdout[-6000:]
                + result.stderr[-3000:],
                pytrace=False,
            )

    return run
