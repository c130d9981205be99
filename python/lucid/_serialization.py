"""lucid.save and lucid.load: tensors and plain Python data in a .npz file, never pickle.

The file is a standard NumPy .npz (a zip of .npy files; ``numpy.load(path,
allow_pickle=False)`` reads it). The array ``__lucid__`` holds a JSON manifest (UTF-8,
as uint8) describing the saved object; arrays ``a0``, ``a1``, ... hold its tensors and
arrays. In the manifest, null, booleans, numbers and strings stand for themselves;
every other value is a JSON object with one tag::

    {"list": [...]}   {"tuple": [...]}   {"dict": [[key, value], ...]}   {"odict": ...}
    {"tensor": i, "requires_grad": bool, "parameter": bool}   {"ndarray": i}
    {"scalar": i}  (a numpy scalar, stored as a 0-d array)   {"float": "nan"}
    {"generator": [seed, stream, offset], "id": k}  (a lucid.random.Generator; k numbers
    the generators, so one referenced twice loads as one)
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import pickle
import re
import struct
import zipfile
import zlib
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from lucid import _archive, _files, _pickles, _storage
from lucid import random as _random
from lucid._tensor import Tensor
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter

__all__ = ["load", "save"]

_MANIFEST = "__lucid__"
_FORMAT = "lucid"
_VERSION = 1
_ARRAY_KINDS = "biufc"  # bool, ints, floats, complex: never object arrays
_MAX_DEPTH = 1000  # of the manifest's JSON: more than lucid.save writes under Python's limit
_STRING = re.compile(r'"[^"]*"')
_OPENING, _CLOSING = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)

# What a damaged or foreign file makes the archive reader, json or the decoder raise.
_CORRUPT = (
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    OverflowError,
    RecursionError,
    NotImplementedError,
    AttributeError,
    pickle.UnpicklingError,
)
_TENSOR_SUFFIX, _DICT_SUFFIX = ".lct", ".lcd"  # lucid 2.x's


# ---- saving -------------------------------------------------------------------------


class _Encoder:
    """Turns an object into its JSON manifest, collecting the arrays it refers to."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._indices: dict[tuple[str, int], int] = {}  # (tag, id) → array index
        self._open: set[int] = set()  # ids of the containers being encoded (cycles)
        self._generators: dict[int, int] = {}  # id → number, in the order first met
        self._kept: list[Any] = []  # what those ids belong to, alive until the end

    def _array(self, tag: str, obj: Any, array: np.ndarray) -> int:
        key = (tag, id(obj))
        if key not in self._indices:  # shared references are stored once
            self._indices[key] = len(self.arrays)
            self.arrays.append(array)
        return self._indices[key]

    def encode(self, obj: Any, where: str) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, np.generic):
            self._check_dtype(obj.dtype, where)
            return {"scalar": self._array("scalar", obj, np.asarray(obj))}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"float": repr(float(obj))}
        if isinstance(obj, Tensor):
            return {
                "tensor": self._array("tensor", obj, obj.data),
                "requires_grad": obj.requires_grad,
                "parameter": isinstance(obj, Parameter),
            }
        if type(obj) is np.ndarray:
            self._check_dtype(obj.dtype, where)
            return {"ndarray": self._array("ndarray", obj, obj)}
        if isinstance(obj, _random.Generator):
            number = self._generators.setdefault(id(obj), len(self._generators))
            self._kept.append(obj)
            return {"generator": list(obj.get_state()), "id": number}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self._open:
                raise ValueError(f"cannot save {where}: it contains itself")
            self._open.add(id(obj))
            try:
                return self._container(obj, where)
            finally:
                self._open.discard(id(obj))
        raise TypeError(
            f"cannot save {type(obj).__name__} (at {where}): lucid.save takes tensors, "
            "numpy arrays and scalars, lucid.random Generators, None, bools, ints, "
            "floats, strings, and lists, tuples and dicts of them"
        )

    def _container(self, obj: Any, where: str) -> Any:
        if isinstance(obj, dict):
            pairs = []
            for key, value in obj.items():
                if not (key is None or isinstance(key, (bool, int, float, str, tuple))):
                    raise TypeError(
                        f"cannot save a dict key of type {type(key).__name__} (in {where}): "
                        "keys must be None, bools, ints, floats, strings or tuples"
                    )
                label = f"{where}[{key!r}]"
                pairs.append([self.encode(key, label), self.encode(value, label)])
            return {"odict" if isinstance(obj, OrderedDict) else "dict": pairs}
        items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"tuple" if isinstance(obj, tuple) else "list": items}

    @staticmethod
    def _check_dtype(dtype: np.dtype, where: str) -> None:
        if dtype.kind not in _ARRAY_KINDS:
            raise TypeError(
                f"cannot save an array of dtype {dtype} (at {where}): only bool, integer, "
                "float and complex arrays are saved"
            )


def _target(obj: Any, path: str) -> tuple[Any, str]:
    """What is saved and where: lucid 2.x's suffix rules (see ``save``)."""
    suffix = os.path.splitext(path)[1]
    if not suffix and isinstance(obj, (Tensor, Module, dict)):
        # Other objects (lists, numbers, ...), which lucid 2.x refuses, keep the path.
        suffix = _TENSOR_SUFFIX if isinstance(obj, Tensor) else _DICT_SUFFIX
        path = path + suffix
    if isinstance(obj, Module):
        obj = obj.state_dict()
    if suffix == _TENSOR_SUFFIX and not isinstance(obj, Tensor):
        raise TypeError(f"a {_TENSOR_SUFFIX} file holds a Tensor, not {type(obj).__name__}")
    if suffix == _DICT_SUFFIX and not isinstance(obj, dict):
        raise TypeError(
            f"a {_DICT_SUFFIX} file holds a state dict (or a Module's), not {type(obj).__name__}"
        )
    if suffix == ".safetensors":
        raise ValueError(f"path {path!r}: lucid.save does not write .safetensors files")
    return obj, path


def save(obj: Any, path: _files.PathArg, safetensors: bool = False) -> pathlib.Path:
    """Write ``obj`` to ``path``, atomically, and return the absolute path written.

    As lucid 2.x's: a path without a suffix gets ``.lct`` for a Tensor and ``.lcd`` for
    a Module or a dict (other objects, which lucid 2.x refuses, are written at the path
    as given), a ``.lct`` path takes only a Tensor and a ``.lcd`` path only a dict or a
    Module (else a TypeError), and a Module is saved as its ``state_dict()``.
    ``safetensors=True`` (lucid 2.x's other format) is a ValueError: this lucid writes
    one format, below.

    ``obj`` may nest dicts (str, int, float, bool, None or tuple keys), lists and tuples
    of tensors, numpy arrays and scalars, None, bools, ints, floats and strings — a
    Module's or an optimiser's ``state_dict()``, say. A tensor referenced twice is
    stored once and loads as one tensor. Anything else is a TypeError. The file is a
    .npz archive with a JSON manifest (never a pickle).

    ``path`` is a str, bytes or os.PathLike, as for open(). The file is written beside
    ``path`` and moved over it, so ``path`` never holds a partial file; an existing
    ``path`` must be a regular file (anything else is a ValueError naming it), and the
    new file keeps its permission bits (a new path gets 0o666 less the umask).

    The file written beside ``path`` is named ``.{name}.lucid-save-{16 hex digits}.tmp``,
    ``name`` being the last part of ``path``, and save holds an flock on it until it has
    been renamed. A save killed meanwhile leaves it behind; the next save to ``path``
    removes every such file that no process holds locked.
    """
    if safetensors is not False:
        raise ValueError(f"safetensors={safetensors!r}: lucid.save writes only its .npz format")
    obj, path = _target(obj, _files.check_path(path))
    encoder = _Encoder()
    manifest = {"format": _FORMAT, "version": _VERSION, "object": encoder.encode(obj, "obj")}
    text = json.dumps(manifest, allow_nan=False, separators=(",", ":")).encode("utf-8")
    arrays = {_MANIFEST: np.frombuffer(text, dtype=np.uint8)}
    arrays.update((f"a{i}", array) for i, array in enumerate(encoder.arrays))

    _files.replace(path, lambda file: _write_npz(file, arrays))
    return pathlib.Path(path).resolve()


def _write_npz(file: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """What numpy.savez writes, with pickling refused."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


# ---- loading ------------------------------------------------------------------------


class _Decoder:
    def __init__(self, file: IO[bytes], members: dict[str, _archive.Member]) -> None:
        self._file, self._members = file, members
        self._arrays: dict[int, np.ndarray] = {}  # each array is read once, whatever its tags
        self._loaded: dict[tuple[str, int], Any] = {}

    def _array(self, tag: str, index: Any) -> Any:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"bad array reference {index!r}")
        key = (tag, index)
        if key not in self._loaded:
            if index not in self._arrays:
                self._arrays[index] = _read_array(self._file, self._members, f"a{index}")
            self._loaded[key] = self._make(tag, self._arrays[index])
        return self._loaded[key]

    @staticmethod
    def _make(tag: str, array: np.ndarray) -> Any:
        if tag == "scalar":
            if array.ndim != 0:
                raise ValueError(f"a scalar has shape {array.shape}")
            return array[()]
        if tag == "ndarray":
            return array
        dtype = array.dtype.newbyteorder("=")
        if dtype not in _storage.DTYPES:
            raise ValueError(f"a tensor has dtype {array.dtype}")
        if not (array.dtype == dtype and _storage.is_storage_view(array)):
            array = _storage.copy_of(array, dtype)
        return array

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or not node:
            raise ValueError(f"unexpected manifest entry {node!r:.80}")
        tag = next(iter(node))
        value = node[tag]
        if tag == "tensor" and set(node) == {"tensor", "requires_grad", "parameter"}:
            array = self._array("tensor", value)
            memo = ("tensor object", value)
            if memo not in self._loaded:
                cls = Parameter if node["parameter"] is True else Tensor
                self._loaded[memo] = cls._wrap(array, requires_grad=node["requires_grad"] is True)
            return self._loaded[memo]
        if tag == "generator" and set(node) == {"generator", "id"}:
            return self._generator(value, node["id"])
        if len(node) != 1:
            raise ValueError(f"unexpected manifest entry {node!r:.80}")
        if tag in ("list", "tuple") and isinstance(value, list):
            items = [self.decode(v) for v in value]
            return items if tag == "list" else tuple(items)
        if tag in ("dict", "odict") and isinstance(value, list):
            out = OrderedDict() if tag == "odict" else {}
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError(f"a dict entry is {pair!r:.80}, not a [key, value] pair")
                out[self.decode(pair[0])] = self.decode(pair[1])
            return out
        if tag in ("ndarray", "scalar"):
            return self._array(tag, value)
        if tag == "float" and value in ("nan", "inf", "-inf"):
            return float(value)
        raise ValueError(f"unexpected manifest entry {node!r:.80}")

    def _generator(self, state: Any, number: Any) -> Any:
        """A Generator in the saved state; the same ``number`` loads as the same one."""
        if isinstance(number, bool) or not isinstance(number, int):
            raise ValueError(f"bad generator number {number!r:.80}")
        memo = ("generator", number)
        if memo not in self._loaded:
            if not (isinstance(state, list) and len(state) == 3):
                raise ValueError(f"a generator's state is {state!r:.80}")
            seed, stream, _ = state
            generator = _random.Generator(seed, stream=stream)
            generator.set_state(tuple(state))  # checks every number
            self._loaded[memo] = generator
        return self._loaded[memo]


def _read_array(file: IO[bytes], members: dict[str, _archive.Member], name: str) -> np.ndarray:
    member = members.get(name + ".npy")
    if member is None:
        raise ValueError(f"it has no array {name!r}")
    return _archive.read_array(file, member, name)


def _manifest_depth(text: str) -> int:
    """How deeply the JSON ``text`` nests, found without parsing it: json.loads recurses
    in C, which a raised recursion limit would let overflow the stack."""
    # Escaped backslashes, then escaped quotes, then whole strings: what is left of
    # valid JSON is numbers, words, commas, colons and the brackets to count.
    bare = _STRING.sub("", text.replace("\\\\", "").replace('\\"', ""))
    codes = np.frombuffer(bare.encode("utf-8"), dtype=np.uint8)
    steps = np.isin(codes, _OPENING).astype(np.int64) - np.isin(codes, _CLOSING)
    return int(np.cumsum(steps).max(initial=0))


def _read(file: IO[bytes], length: int) -> Any:
    members = _archive.members(file, length)
    if _MANIFEST + ".npy" not in members:
        raise ValueError("it has no lucid manifest (not written by lucid.save)")
    raw = _read_array(file, members, _MANIFEST)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"its manifest is a {raw.dtype} array of shape {raw.shape}")
    text = raw.tobytes().decode("utf-8")
    if _manifest_depth(text) > _MAX_DEPTH:
        raise ValueError(f"its manifest nests deeper than {_MAX_DEPTH} levels")
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or "object" not in doc:
        raise ValueError("its manifest is not a lucid manifest")
    if doc.get("version") != _VERSION:
        raise ValueError(f"format version {doc.get('version')!r}; this lucid reads 1")
    return _Decoder(file, members).decode(doc["object"])


def _read_pickle(file: IO[bytes]) -> Any:
    try:
        return _pickles.load_lucid2(file.read())  # to the end: no size the file claims
    except _CORRUPT as err:
        message = f"it is not a zip archive but a pickle, read as lucid 2.x's: {err}"
        raise ValueError(message) from err


def load(path: _files.PathArg) -> Any:
    """Read what :func:`save` wrote: the same structure, with lucid Tensors (in Rust
    storage) where tensors were and numpy arrays where arrays were.

    It also reads the pickles lucid 2.x's ``lucid.save`` wrote (a Tensor from ``.lct``,
    a state dict of numpy arrays from ``.lcd``), through an unpickler that admits only
    numpy arrays and scalars, lucid 2.x Tensors, numbers, strings, bytes and containers,
    so no code in the file runs; any other global is a ValueError naming it.

    ``path`` is a str, bytes or os.PathLike, as for open(). A missing file is a
    FileNotFoundError; one that is not a regular file (a directory, a device such as
    /dev/zero, a FIFO, a socket) a ValueError naming ``path``, refused without reading or
    blocking; so is a damaged, truncated, forged or foreign one, or one holding pickled
    objects other than those, which are never loaded. Every size the file claims is
    checked against its length before anything is allocated (see lucid._archive), so a
    small file cannot make load allocate much.
    """
    path = _files.check_path(path)
    with _files.open_regular(path) as file:
        try:
            if os.pread(file.fileno(), 1, 0) == b"\x80":  # pickle protocol 2 and later
                return _read_pickle(file)
            return _read(file, os.fstat(file.fileno()).st_size)
        except _CORRUPT as err:
            raise ValueError(f"{path!r} is not a readable lucid file: {err}") from err
