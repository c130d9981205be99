"""lucid.save / lucid.load: round trips of models, optimisers and nested data; the file
format (.npz with a JSON manifest, no pickle); atomic writes; damaged files."""

import io
import json
import math
import os
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage, nn, optim
from lucid._serialization import save as save_function


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(5, 16)
        self.second = nn.Linear(16, 16)
        self.head = nn.Linear(16, 3)
        self.register_buffer("calls", Tensor(np.array([7], dtype=np.int64)))

    def forward(self, x):
        h = self.first(x)
        h = self.second(h * h)
        return self.head(h * h)


def inputs(seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal((8, 5)).astype(np.float32))


def leftovers(directory, keep):
    return sorted(set(os.listdir(directory)) - set(keep))


# ---- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("as_str", [True, False], ids=["str", "PathLike"])
def test_a_model_round_trip_gives_identical_outputs(tmp_path, as_str):
    lucid.random.seed(0)
    model = MLP()
    path = tmp_path / "model.ckpt"
    lucid.save(model.state_dict(), str(path) if as_str else path)
    assert os.listdir(tmp_path) == ["model.ckpt"]  # exactly the path: no ".npz", no temp

    lucid.random.seed(1)
    other = MLP()
    assert not np.array_equal(other(inputs()).data, model(inputs()).data)
    loaded = lucid.load(str(path) if as_str else path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(model.state_dict())
    other.load_state_dict(loaded)
    np.testing.assert_array_equal(other(inputs()).data, model(inputs()).data)
    np.testing.assert_array_equal(other.calls.data, [7])


def test_loaded_tensors_are_tensors_in_rust_storage_with_their_dtypes(tmp_path):
    values = {
        "f32": Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True),
        "f64": Tensor(np.array(2.5), dtype=np.float64),
        "i64": Tensor(np.array([-(2**62), 3])),
        "bool": Tensor(np.array([[True], [False]])),
        "empty": Tensor(np.zeros((0, 4), dtype=np.float32)),
        "param": nn.Parameter(np.ones((2, 2))),
    }
    lucid.save(values, tmp_path / "t.lucid")
    loaded = lucid.load(tmp_path / "t.lucid")
    assert type(loaded) is dict and list(loaded) == list(values)
    for key, original in values.items():
        got = loaded[key]
        assert isinstance(got, Tensor) and _storage.is_storage_view(got.data)
        assert got.dtype == original.dtype and got.shape == original.shape
        assert got.requires_grad == original.requires_grad
        np.testing.assert_array_equal(got.data, original.data)
    assert type(loaded["param"]) is nn.Parameter and type(loaded["f32"]) is Tensor
    assert loaded["param"].is_leaf


def test_nested_python_data_round_trips_exactly(tmp_path):
    data = {
        "none": None,
        "flags": [True, False],
        "ints": (0, -1, 2**70),
        "floats": [0.1, -2.5e-300, 1e300, math.inf, -math.inf],
        "text": 'naïve ☃ "quoted" \\ {"list": 1}',
        3: {"int key": 1},
        (1, "two"): "tuple key",
        None: "None key",
        "empty": [(), [], {}, OrderedDict()],
        "numpy": [np.float32(1.5), np.int32(-7), np.bool_(True), np.arange(4, dtype=np.uint16)],
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    }
    lucid.save(data, tmp_path / "d.lucid")
    loaded = lucid.load(tmp_path / "d.lucid")
    nan_free = {k: v for k, v in data.items() if k not in ("numpy", "fortran")}
    assert {k: v for k, v in loaded.items() if k not in ("numpy", "fortran")} == nan_free
    assert type(loaded["ints"]) is tuple and type(loaded["empty"][3]) is OrderedDict
    assert type(loaded["empty"][0]) is tuple and type(loaded["empty"][1]) is list
    f32, i32, b, u16 = loaded["numpy"]
    assert type(f32) is np.float32 and f32 == 1.5
    assert type(i32) is np.int32 and i32 == -7
    assert type(b) is np.bool_ and b
    assert type(u16) is np.ndarray and u16.dtype == np.uint16
    np.testing.assert_array_equal(u16, np.arange(4))
    np.testing.assert_array_equal(loaded["fortran"], data["fortran"])
    assert list(loaded) == list(data)  # order kept


def test_nan_round_trips(tmp_path):
    lucid.save([math.nan], tmp_path / "n.lucid")
    (value,) = lucid.load(tmp_path / "n.lucid")
    assert isinstance(value, float) and math.isnan(value)


def test_a_tensor_referenced_twice_is_stored_once_and_loads_as_one(tmp_path):
    t = Tensor(np.arange(3.0))
    lucid.save({"a": t, "b": [t], "c": Tensor(np.arange(3.0))}, tmp_path / "s.lucid")
    with np.load(tmp_path / "s.lucid", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["__lucid__", "a0", "a1"]
    loaded = lucid.load(tmp_path / "s.lucid")
    assert loaded["a"] is loaded["b"][0] and loaded["a"] is not loaded["c"]


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW])
def test_optimiser_state_round_trip_continues_identically(tmp_path, cls):
    config = {"lr": 0.01, "momentum": 0.9} if cls is optim.SGD else {"lr": 0.01, "amsgrad": True}

    def train(model, opt, seeds):
        for seed in seeds:
            opt.zero_grad()
            target = Tensor(np.random.default_rng(seed).standard_normal((8, 3)), dtype="float32")
            ((model(inputs(seed)) - target) ** 2).mean().backward()
            opt.step()

    lucid.random.seed(0)
    model = MLP()
    opt = cls(model.parameters(), **config)
    train(model, opt, [1, 2])
    lucid.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ck.lucid")

    lucid.random.seed(5)
    clone = MLP()
    clone_opt = cls(clone.parameters(), **config)
    checkpoint = lucid.load(tmp_path / "ck.lucid")
    clone.load_state_dict(checkpoint["model"])
    clone_opt.load_state_dict(checkpoint["optim"])
    saved_groups = opt.state_dict()["param_groups"]
    assert checkpoint["optim"]["param_groups"] == saved_groups  # tuples stay tuples
    assert sorted(checkpoint["optim"]["state"]) == list(range(6))  # int keys stay ints

    train(model, opt, [3, 4, 5])
    train(clone, clone_opt, [3, 4, 5])
    for a, b in zip(model.parameters(), clone.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


# ---- the file format ------------------------------------------------------------------


def test_the_file_is_a_plain_npz_with_a_json_manifest(tmp_path):
    lucid.save({"w": Tensor(np.ones((2, 2)))}, tmp_path / "f.lucid")
    with np.load(tmp_path / "f.lucid", allow_pickle=False) as npz:
        manifest = json.loads(npz["__lucid__"].tobytes())
        np.testing.assert_array_equal(npz["a0"], np.ones((2, 2)))
    assert manifest["format"] == "lucid" and manifest["version"] == 1
    assert manifest["object"] == {
        "dict": [["w", {"tensor": 0, "requires_grad": False, "parameter": False}]]
    }


@pytest.mark.parametrize(
    "obj, given, written",
    [(Tensor([1.0]), "w", "w.lct"), ({"a": 1}, "sd", "sd.lcd"), (nn.Linear(1, 1), "m", "m.lcd"),
     ([1], "plain", "plain"), (Tensor([1.0]), "x.npz", "x.npz"), ({"a": 1}, "d.lcd", "d.lcd")],
)  # fmt: skip
def test_a_path_without_a_suffix_gets_lucid_2s_suffix_for_tensors_and_dicts(
    tmp_path, obj, given, written
):
    path = lucid.save(obj, tmp_path / given)
    assert path == (tmp_path / written).resolve() and os.listdir(tmp_path) == [written]
    loaded = lucid.load(path)
    assert isinstance(loaded, type(obj.state_dict() if isinstance(obj, nn.Module) else obj))


def test_saving_replaces_an_existing_file(tmp_path):
    path = tmp_path / "f.lucid"
    lucid.save([1], path)
    lucid.save([2], path)
    assert lucid.load(path) == [2] and os.listdir(tmp_path) == ["f.lucid"]


@pytest.mark.parametrize(
    "obj, name",
    [
        ({"a": {1, 2}}, "set"),
        ([nn.Linear(1, 1)], "Linear"),
        ({"f": print}, "builtin_function_or_method"),
        ({"b": b"bytes"}, "bytes"),
        ({"c": 1j}, "complex"),
        ({"o": np.array([object()], dtype=object)}, "dtype object"),
        ({Tensor([1.0]): 1}, "dict key of type Tensor"),
        ({"m": np.ma.masked_array([1.0])}, "MaskedArray"),
    ],
)
def test_an_unsupported_object_is_a_type_error_and_writes_nothing(tmp_path, obj, name):
    path = tmp_path / "f.lucid"
    lucid.save({"old": 1}, path)
    with pytest.raises(TypeError, match=name):
        lucid.save(obj, path)
    assert lucid.load(path) == {"old": 1}  # the old file is untouched
    assert leftovers(tmp_path, ["f.lucid"]) == []


def test_a_cycle_is_an_error(tmp_path):
    cycle = [1]
    cycle.append({"again": cycle})
    with pytest.raises(ValueError, match=r"obj\[1\]\['again'\]: it contains itself"):
        lucid.save(cycle, tmp_path / "f.lucid")
    assert os.listdir(tmp_path) == []
    shared = [1]
    lucid.save([shared, shared], tmp_path / "f.lucid")  # shared, not cyclic: fine
    assert lucid.load(tmp_path / "f.lucid") == [[1], [1]]


def test_a_failure_while_writing_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "f.lucid"
    lucid.save([1], path)

    def fail(file, arrays):
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr("lucid._serialization._write_npz", fail)
    with pytest.raises(OSError, match="disk full"):
        save_function([2], path)
    assert lucid.load(path) == [1]
    assert leftovers(tmp_path, ["f.lucid"]) == []


def test_saving_into_a_missing_directory_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-dir.*no-such-dir/f"):
        lucid.save([1], tmp_path / "no-such-dir" / "f")


def test_the_path_must_be_a_path(tmp_path):
    with pytest.raises(TypeError, match="path must be a str, bytes or os.PathLike, got int"):
        lucid.save([1], 3)
    with pytest.raises(TypeError, match="path must be a str, bytes or os.PathLike, got BytesIO"):
        lucid.load(io.BytesIO())


# ---- damaged, foreign and pickled files ----------------------------------------------


def test_a_missing_file_is_file_not_found_naming_it(tmp_path):
    path = tmp_path / "nothing-here"
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        lucid.load(path)


def good_bytes(tmp_path):
    lucid.random.seed(0)
    lucid.save(MLP().state_dict(), tmp_path / "good.lucid")
    return (tmp_path / "good.lucid").read_bytes()


def test_truncated_files_are_value_errors_naming_the_path(tmp_path):
    data = good_bytes(tmp_path)
    path = tmp_path / "cut.lucid"
    for length in [0, 1, 10, len(data) // 3, len(data) // 2, len(data) - 22, len(data) - 1]:
        path.write_bytes(data[:length])
        with pytest.raises(ValueError, match=f"'{path}' is not a readable lucid file"):
            lucid.load(path)


def test_corrupt_bytes_are_value_errors(tmp_path):
    data = good_bytes(tmp_path)
    path = tmp_path / "bad.lucid"
    path.write_bytes(os.urandom(len(data)))
    with pytest.raises(ValueError, match="bad"):
        lucid.load(path)
    # One flipped bit inside the largest tensor's data: caught by the member's CRC.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        largest = max(archive.infolist(), key=lambda info: info.file_size)
    local = largest.header_offset
    name_length, extra_length = struct.unpack("<HH", data[local + 26 : local + 30])
    offset = local + 30 + name_length + extra_length + largest.file_size // 2
    flipped = bytearray(data)
    flipped[offset] ^= 0x10
    path.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="bad.*CRC"):
        lucid.load(path)


def write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def manifest(obj, version=1, fmt="lucid"):
    text = json.dumps({"format": fmt, "version": version, "object": obj})
    return np.frombuffer(text.encode(), dtype=np.uint8)


@pytest.mark.parametrize(
    "arrays, pattern",
    [
        ({"weights": np.ones(3)}, "no lucid manifest"),
        ({"__lucid__": manifest({"ndarray": 0}, fmt="other")}, "not a lucid manifest"),
        ({"__lucid__": manifest([1], version=2)}, "version 2"),
        ({"__lucid__": manifest({"ndarray": 0})}, "a0"),  # the array is missing
        ({"__lucid__": manifest({"set": []})}, "unexpected manifest entry"),
        ({"__lucid__": manifest([1, 2])}, "unexpected manifest entry"),
        ({"__lucid__": manifest({"dict": [[{"list": []}, 1]]})}, "unhashable"),
        ({"__lucid__": np.zeros(3, dtype=np.float32)}, "manifest is a float32 array"),
        (
            {
                "__lucid__": manifest({"tensor": 0, "requires_grad": False, "parameter": False}),
                "a0": np.array(["text"]),
            },
            "dtype <U4",
        ),
    ],
)
def test_foreign_npz_files_are_value_errors(tmp_path, arrays, pattern):
    path = tmp_path / "foreign.npz"
    write_npz(path, **arrays)
    with pytest.raises(ValueError, match=f"foreign.npz.*{pattern}"):
        lucid.load(path)


def test_a_plain_npy_file_is_a_value_error(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="array.npy"):
        lucid.load(path)


class Unpickled:
    """Records being unpickled: lucid.load must never get that far."""

    seen = False

    def __reduce__(self):
        return (_mark_unpickled, ())


def _mark_unpickled():
    Unpickled.seen = True
    return "unpickled"


def test_a_pickled_array_is_refused_and_never_unpickled(tmp_path):
    path = tmp_path / "pickled.npz"
    objects = np.array([Unpickled()], dtype=object)
    write_npz(path, __lucid__=manifest({"ndarray": 0}), a0=objects)
    with np.load(path, allow_pickle=True) as npz:  # the file does hold a pickle
        assert npz["a0"][0] == "unpickled" and Unpickled.seen
    Unpickled.seen = False
    with pytest.raises(ValueError, match="pickled.npz.*pickled objects"):
        lucid.load(path)
    assert not Unpickled.seen


def test_a_plain_pickle_file_is_refused(tmp_path):
    import pickle

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"w": Unpickled()}))
    Unpickled.seen = False
    with pytest.raises(ValueError, match="model.pkl"):
        lucid.load(path)
    assert not Unpickled.seen
