"""The process group: one MPI world, joined by ``init_process_group("mpi")``.

MPI comes from mpi4py (``pip install "lucid-rs[distributed]"`` brings it and MPICH); it
is imported when the group is made, not when lucid is, since importing ``mpi4py.MPI``
starts MPI and the package works without it. The processes are the ranks of
``mpiexec -n N python script.py``; each one calls ``init_process_group()`` once.

The group runs its collectives on a duplicate of ``MPI.COMM_WORLD``, so messages of other
MPI code in the same processes never mix with lucid's. While the group exists, an
uncaught exception on any rank prints its traceback with the rank and aborts the whole
job (``MPI.COMM_WORLD.Abort(1)``, mpi4py's advice), so the other ranks never wait forever
in a collective that rank will not join.

``destroy_process_group()`` frees the communicator and restores the previous
``sys.excepthook``; MPI itself stays up until the process exits (an MPI process can
start MPI only once), so a later ``init_process_group()`` works again.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from types import TracebackType
from typing import Any

__all__ = [
    "INSTALL_HINT",
    "barrier",
    "communicator",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
]

INSTALL_HINT = 'lucid.distributed needs mpi4py and an MPI: pip install "lucid-rs[distributed]"'

# The group's state: the communicator, its rank and size, and the excepthook it replaced.
_state: dict[str, Any] = {}


def is_available() -> bool:
    """Whether mpi4py can be imported (without importing it, so without starting MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def _mpi() -> Any:
    try:
        return importlib.import_module("mpi4py.MPI")
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from error


def _abort_on_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    """sys.excepthook while the group exists: report the rank, then end every rank."""
    rank, size = _state.get("rank", "?"), _state.get("size", "?")
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(
        f"lucid.distributed: rank {rank} of {size} raised an uncaught exception; "
        f"aborting the job\n{text}"
    )
    sys.stderr.flush()
    _mpi().COMM_WORLD.Abort(1)


def init_process_group(backend: str = "mpi", **kwargs: Any) -> None:
    """Join the MPI world of this ``mpiexec`` job (one process alone is a world of 1).

    ``backend`` must be ``"mpi"``. PyTorch's ``rank`` and ``world_size`` may be given;
    they must then equal MPI's, which decides them. Making the group twice is a
    RuntimeError, as in PyTorch.
    """
    if backend != "mpi":
        raise ValueError(f"init_process_group: backend must be 'mpi', got backend={backend!r}")
    unknown = set(kwargs) - {"rank", "world_size", "init_method", "timeout"}
    if unknown:
        raise TypeError(f"init_process_group: unexpected arguments {sorted(unknown)}")
    if _state:
        raise RuntimeError("init_process_group: the process group is already initialized")
    mpi = _mpi()
    world = mpi.COMM_WORLD
    for name, actual in (("rank", world.Get_rank()), ("world_size", world.Get_size())):
        given = kwargs.get(name)
        if given is not None and given != -1 and given != actual:
            raise ValueError(f"init_process_group: {name}={given!r}, but MPI gives {actual}")
    _state.update(
        comm=world.Dup(),
        rank=world.Get_rank(),
        size=world.Get_size(),
        excepthook=sys.excepthook,
    )
    sys.excepthook = _abort_on_uncaught


def is_initialized() -> bool:
    """Whether ``init_process_group`` made the group (and it was not destroyed)."""
    return bool(_state)


def _require(function: str) -> None:
    if not _state:
        raise RuntimeError(
            f"{function}: the process group is not initialized; call "
            "lucid.distributed.init_process_group() first"
        )


def communicator(function: str) -> Any:
    """The group's MPI communicator; a RuntimeError naming ``function`` before init."""
    _require(function)
    return _state["comm"]


def get_rank() -> int:
    """This process's rank, 0 to world size − 1."""
    _require("get_rank")
    return int(_state["rank"])


def get_world_size() -> int:
    """The number of processes in the group."""
    _require("get_world_size")
    return int(_state["size"])


def barrier() -> None:
    """Wait until every rank has called ``barrier()``."""
    communicator("barrier").Barrier()


def destroy_process_group() -> None:
    """Leave the group: free its communicator and restore the previous excepthook."""
    _require("destroy_process_group")
    state = dict(_state)
    _state.clear()
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = state["excepthook"]
    state["comm"].Free()
