"""lucid.save and lucid.load against lucid 2.x's: the returned path, the .lct and .lcd
suffix checks, a Module saved as its state dict, and lucid 2.x's pickled checkpoints
read through the restricted unpickler (real files from lucid 2.7.9 where its side
environment exists, and hostile pickles that must be refused without running)."""

from __future__ import annotations

import os
import pathlib
import struct
import subprocess
from collections import OrderedDict

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid import Tensor

REPO = pathlib.Path(__file__).resolve().parents[1]


def lucid2_python() -> str | None:
    """The side environment's interpreter with real lucid 2.x, if there is one."""
    for candidate in (
        os.environ.get("LUCID2_PYTHON"),
        str(REPO / ".venv-lucid2" / "bin" / "python"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


# ---- saving ---------------------------------------------------------------------------


def test_save_returns_the_absolute_path_it_wrote(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    written = lucid.save({"w": Tensor([1.0, 2.0])}, "ckpt.lcd")
    assert written == tmp_path.resolve() / "ckpt.lcd"
    assert isinstance(written, pathlib.Path) and written.is_absolute()
    assert lucid.save([1], os.fsencode("list.bin")) == tmp_path.resolve() / "list.bin"
    assert lucid.load(written)["w"].tolist() == [1.0, 2.0]


def test_a_module_is_saved_as_its_state_dict(tmp_path):
    lucid.random.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.SELU(), nn.Linear(4, 2))
    loaded = lucid.load(lucid.save(model, tmp_path / "model.lcd"))
    expected = model.state_dict()
    assert list(loaded) == list(expected) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, value in expected.items():
        np.testing.assert_array_equal(loaded[name].data, value.data)
    twin = nn.Sequential(nn.Linear(3, 4), nn.SELU(), nn.Linear(4, 2))
    twin.load_state_dict(loaded)
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(twin(x).data, model(x).data)


def test_a_tensor_saved_as_lct_loads_with_its_values_and_dtype(tmp_path):
    t = Tensor(np.arange(6, dtype=np.int64).reshape(2, 3))
    back = lucid.load(lucid.save(t, tmp_path / "t.lct"))
    assert isinstance(back, Tensor) and back.dtype == t.dtype
    assert back.tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize(
    "obj, name, suffix",
    [([1.0], "list", ".lct"), ({"w": 1}, "dict", ".lct"), (Tensor([1.0]), "Tensor", ".lcd")],
)
def test_the_lct_and_lcd_suffixes_take_only_their_kind(tmp_path, obj, name, suffix):
    path = tmp_path / f"f{suffix}"
    with pytest.raises(TypeError, match=f"{suffix} file holds .*not {name}"):
        lucid.save(obj, path)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_safetensors_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match="safetensors=True"):
        lucid.save({"w": Tensor([1.0])}, tmp_path / "f.lcd", safetensors=True)
    with pytest.raises(ValueError, match="f.safetensors"):
        lucid.save({"w": Tensor([1.0])}, tmp_path / "f.safetensors")
    assert os.listdir(tmp_path) == []


# ---- real lucid 2.x checkpoints ---------------------------------------------------------

_WRITE_WITH_LUCID2 = r"""
import sys
from collections import OrderedDict
import numpy as np
import lucid, lucid.nn as nn
import lucid.port  # lucid 2.x's save and load live here

out = sys.argv[1]
lucid.save(lucid.Tensor(np.array([[1.5, -2.0], [3.25, 4.0]])), out + "/float")
lucid.save(lucid.Tensor(np.array([7, -8, 9], dtype=np.int64)), out + "/ints.lct")
lucid.random.seed(3)
model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
lucid.save(model, out + "/model")
for name, value in model.state_dict().items():
    np.save(out + "/expected-" + name + ".npy", value)
lucid.save(
    OrderedDict(
        f32=np.arange(4, dtype=np.float32),
        big=np.arange(3, dtype=">i8"),
        fortran=np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        flags=np.array([True, False]),
        empty=np.zeros((0, 3)),
        scalar=np.float32(2.5),
        nested={"n": 3, "x": 1.5, "s": "text", "b": b"raw", "l": [1, (2, None)], "c": 2j},
    ),
    out + "/mixed",
)
print(sorted(__import__("os").listdir(out)))
"""


@pytest.fixture(scope="module")
def lucid2_files(tmp_path_factory):
    python = lucid2_python()
    if python is None:
        pytest.skip("no side environment with lucid 2.x (set LUCID2_PYTHON)")
    out = tmp_path_factory.mktemp("lucid2")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [python, "-I", "-c", _WRITE_WITH_LUCID2, str(out)],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0 and "No module named 'lucid.port'" in done.stderr:
        pytest.skip(f"{python} has no lucid 2.x")
    assert done.returncode == 0, done.stderr
    return out


def test_lucid2_appends_lct_and_lcd_and_writes_pickles(lucid2_files):
    for name in ("float.lct", "ints.lct", "model.lcd", "mixed.lcd"):
        assert (lucid2_files / name).read_bytes()[:1] == b"\x80"  # a pickle, protocol >= 2


def test_a_lucid2_tensor_loads_as_a_tensor_with_its_values(lucid2_files):
    t = lucid.load(lucid2_files / "float.lct")
    assert isinstance(t, Tensor) and t.dtype == lucid.float64 and not t.requires_grad
    assert t.tolist() == [[1.5, -2.0], [3.25, 4.0]]
    ints = lucid.load(str(lucid2_files / "ints.lct"))
    assert ints.dtype == lucid.int64 and ints.tolist() == [7, -8, 9]
    ints += 1  # its own storage, writable
    assert ints.tolist() == [8, -7, 10]


def test_a_lucid2_module_checkpoint_loads_into_the_same_model_here(lucid2_files):
    state = lucid.load(lucid2_files / "model.lcd")
    assert isinstance(state, OrderedDict)
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    for name, value in state.items():
        expected = np.load(lucid2_files / f"expected-{name}.npy", allow_pickle=False)
        assert isinstance(value, np.ndarray) and value.dtype == expected.dtype
        assert value.flags.writeable
        np.testing.assert_array_equal(value, expected)
        value += 1.0  # writable, as lucid 2.x's unpickled arrays
        np.testing.assert_array_equal(value, expected + 1.0)
        value -= 1.0
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)).to(np.float32)
    model.load_state_dict(state)  # cast to each parameter's float32
    np.testing.assert_array_equal(model[1].weight.data, state["1.weight"].astype(np.float32))


def test_a_lucid2_dict_keeps_every_plain_value_exactly(lucid2_files):
    mixed = lucid.load(lucid2_files / "mixed.lcd")
    assert isinstance(mixed, OrderedDict) and list(mixed)[0] == "f32"
    assert mixed["f32"].dtype == np.float32 and mixed["f32"].tolist() == [0, 1, 2, 3]
    assert mixed["big"].dtype == np.dtype(">i8") and mixed["big"].tolist() == [0, 1, 2]
    assert mixed["fortran"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert mixed["flags"].tolist() == [True, False] and mixed["empty"].shape == (0, 3)
    assert type(mixed["scalar"]) is np.float32 and mixed["scalar"] == 2.5
    assert mixed["nested"] == {
        "n": 3,
        "x": 1.5,
        "s": "text",
        "b": b"raw",
        "l": [1, (2, None)],
        "c": 2j,
    }


# ---- hostile pickles --------------------------------------------------------------------


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _call(callable_: bytes, *args: bytes) -> bytes:
    return callable_ + b"(" + b"".join(args) + b"tR"


def _checkpoint(content: bytes, version: float = 1.1) -> bytes:
    """lucid 2.x's wrapper dict around ``content`` (opcodes), as protocol 2."""
    fields = _str("type") + _str("dict") + _str("format_version")
    fields += b"G" + struct.pack(">d", version) + _str("content") + content
    return b"\x80\x02}(" + fields + b"u."


def _hostile(marker: pathlib.Path) -> dict[str, tuple[bytes, str]]:
    """Each case's bytes and what its error must name; the first three would create
    ``marker`` if unpickled."""
    touch = f"open({str(marker)!r}, 'w').close()"
    system = _call(_global("os", "system"), _str(f"touch {marker}"))
    get = _call(
        _global("builtins", "getattr"),
        _call(_global("builtins", "__import__"), _str("os")),
        _str("system"),
    )
    array = _call(
        _global("numpy.core.multiarray", "_reconstruct"),
        _global("numpy", "ndarray"),
        b"K\x00\x85",
        b"C\x01b",
    )
    f8 = _call(_global("numpy", "dtype"), _str("f8"), b"\x89\x88")
    state = b"(K\x03" + _str("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    return {
        "os.system": (_checkpoint(b"}" + _str("w") + system + b"s"), "os.system"),
        "eval": (_checkpoint(_call(_global("builtins", "eval"), _str(touch))), "builtins.eval"),
        "getattr chain": (_checkpoint(_call(get, _str(f"touch {marker}"))), "builtins.getattr"),
        "an unlisted numpy callable": (
            _checkpoint(_call(_global("numpy", "frombuffer"), b"C\x08" + bytes(8))),
            "numpy.frombuffer",
        ),
        "subprocess": (
            _checkpoint(_call(_global("subprocess", "Popen"), _str("true"))),
            "subprocess.Popen",
        ),
        "an object array": (
            _checkpoint(_call(_global("numpy", "dtype"), _str("O"), b"\x89\x88")),
            "dtype object",
        ),
        "a size the bytes do not hold": (
            _checkpoint(
                array
                + b"(K\x01J\x00\x00\x00\x40\x85"
                + f8
                + state
                + b"\x89C\x08"
                + bytes(8)
                + b"tb"
            ),
            "needs 8589934592 bytes, but the file holds 8",
        ),
        "ndarray built directly": (
            _checkpoint(_global("numpy", "ndarray") + b"J\x00\x00\x00\x40\x85\x81"),
            "NEWOBJ class argument must be a type",
        ),
        "deep nesting": (_checkpoint(b"]" * 100_000 + b"a" * 99_999), "nests deeper than 1000"),
        "a cycle": (_checkpoint(b"]\x94h\x00a"), "contains itself"),
        "an old version": (_checkpoint(b"}", version=1.0), "format version: 1.0 != 1.1"),
        "a persistent id": (_checkpoint(_str("x") + b"Q"), "persistent object"),
        "no wrapper": (b"\x80\x02].", "not a lucid 2.x checkpoint"),
        "a set": (_checkpoint(b"\x8f"), "holds a set"),
        "complex of a string": (
            _checkpoint(_call(_global("builtins", "complex"), _str("1j"))),
            "complex",
        ),
    }


def test_the_hostile_payloads_really_run_when_unpickled(tmp_path):
    import pickle

    marker = tmp_path / "ran"
    for name in ("os.system", "eval", "getattr chain"):
        pickle.loads(_hostile(marker)[name][0])
        assert marker.exists(), name
        marker.unlink()


@pytest.mark.parametrize("case", list(_hostile(pathlib.Path("m"))))
def test_a_hostile_pickle_is_refused_naming_what_and_runs_nothing(tmp_path, case):
    marker = tmp_path / "ran"
    data, fragment = _hostile(marker)[case]
    path = tmp_path / "evil.lcd"
    path.write_bytes(data)
    with pytest.raises(ValueError) as raised:
        lucid.load(path)
    message = str(raised.value)
    assert message.startswith(f"{str(path)!r} is not a readable lucid file"), message
    assert fragment in message, message
    assert not marker.exists()


def _pickled_tensor(cls: str, fields: bytes) -> bytes:
    """A lucid 2.x Tensor as pickle writes a plain object: the class, new, its dict."""
    module = "lucid.nn.parameter" if cls == "Parameter" else "lucid._tensor.tensor"
    return _global(module, cls) + b")\x81}(" + fields + b"ub"


def _float64_array(values: list[float]) -> bytes:
    reconstruct = _global("numpy._core.multiarray", "_reconstruct")
    array = _call(reconstruct, _global("numpy", "ndarray"), b"K\x00\x85", b"C\x01b")
    f8 = _call(_global("numpy", "dtype"), _str("f8"), b"\x89\x88")
    f8 += b"(K\x03" + _str("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    raw = struct.pack(f"<{len(values)}d", *values)
    shape = b"K" + bytes([len(values)]) + b"\x85"
    return array + b"(K\x01" + shape + f8 + b"\x89C" + bytes([len(raw)]) + raw + b"tb"


@pytest.mark.parametrize("cls", ["Tensor", "Parameter"])
def test_a_pickled_lucid2_tensor_becomes_ours_with_values_and_requires_grad(tmp_path, cls):
    fields = _str("data") + _float64_array([1.0, -2.5]) + _str("requires_grad") + b"\x88"
    data = _checkpoint(b"}" + _str("w") + _pickled_tensor(cls, fields) + b"s")
    path = tmp_path / "t.lcd"
    path.write_bytes(data)
    w = lucid.load(path)["w"]
    assert type(w) is (nn.Parameter if cls == "Parameter" else Tensor)
    assert w.requires_grad and w.dtype == lucid.float64 and w.tolist() == [1.0, -2.5]


def test_a_pickled_lucid2_tensor_without_data_or_with_code_is_refused(tmp_path):
    path = tmp_path / "t.lcd"
    path.write_bytes(_checkpoint(_pickled_tensor("Tensor", _str("data") + b"K\x01")))
    with pytest.raises(ValueError, match="Tensor without its data array"):
        lucid.load(path)
    backward = _str("_backward_op") + _global("lucid._tensor.tensor", "_noop")
    fields = _str("data") + _float64_array([1.0]) + backward
    path.write_bytes(_checkpoint(_pickled_tensor("Tensor", fields)))
    with pytest.raises(ValueError, match="refuses the global lucid._tensor.tensor._noop"):
        lucid.load(path)


def test_every_cut_and_flipped_byte_of_a_lucid2_file_loads_or_is_a_value_error(
    lucid2_files, tmp_path
):
    data = (lucid2_files / "mixed.lcd").read_bytes()
    path = tmp_path / "damaged.lcd"
    outcomes = {"loaded": 0, "refused": 0}
    variants = [data[:n] for n in range(1, len(data))]
    variants += [data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :] for i in range(1, len(data))]
    for variant in variants:
        path.write_bytes(variant)
        try:
            lucid.load(path)
            outcomes["loaded"] += 1
        except ValueError as err:
            assert str(err).startswith(f"{str(path)!r} is not a readable lucid file")
            outcomes["refused"] += 1
    assert outcomes["refused"] > len(data)  # every cut at least, and most flips
    assert sum(outcomes.values()) == len(variants)
