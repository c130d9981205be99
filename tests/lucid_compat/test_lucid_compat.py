"""The compatibility snippets (snippets/*.txt) against this repository's lucid and lucid 2.x.

Every snippet runs in our lucid and must not crash or raise unless its header says so or
known.py lists it. Where the side environment with real lucid 2.x exists
(scripts/compat_diff.py: $LUCID2_PYTHON, default .venv-lucid2/bin/python in the repository), every
difference between the two must be listed in known.py; elsewhere, as in CI, that test
is skipped, like the PyTorch parity tests.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

_RUNNER = Path(__file__).resolve().parents[2] / "scripts" / "compat_diff.py"
_spec = importlib.util.spec_from_file_location("compat_diff", _RUNNER)
assert _spec is not None and _spec.loader is not None
compat_diff = importlib.util.module_from_spec(_spec)
sys.modules["compat_diff"] = compat_diff  # dataclasses look their module up by name
_spec.loader.exec_module(compat_diff)

SNIPPETS = compat_diff.load_snippets()
KNOWN = compat_diff.load_known()
SIDE = compat_diff.side_python()
SIDE_MISSING = compat_diff.unavailable(SIDE)


@pytest.fixture(scope="module")
def outcomes():
    """(ours, theirs) for every snippet; theirs is None without the side environment."""
    if SIDE_MISSING:
        return compat_diff.run(sys.executable, SNIPPETS), None
    return compat_diff.run_both(SIDE, SNIPPETS)


def test_the_catalogue_has_unique_ids_names_and_code_and_known_lists_only_its_ids():
    assert len(SNIPPETS) >= 300
    assert all(s.names and s.code.strip() for s in SNIPPETS)
    ids = {s.id for s in SNIPPETS}
    assert sorted(set(KNOWN) - ids) == []
    # Every difference left is deliberate (a row of README's compatibility table).
    assert sorted(k for k, (status, _, _) in KNOWN.items() if status != "keep") == []


def test_a_header_gives_id_names_and_options_and_a_bad_one_is_refused():
    text = "# comment\n\n## a.b :: x, Tensor.y :: raises=TypeError :: repr\nz = 1\nz + 1\n"
    (snippet,) = compat_diff.parse(text)
    assert (snippet.id, snippet.names, snippet.raises, snippet.repr) == (
        "a.b",
        ["x", "Tensor.y"],
        "TypeError",
        True,
    )
    assert snippet.code == "z = 1\nz + 1\n"
    with pytest.raises(ValueError, match="bad snippet header"):
        compat_diff.parse("## no-names\n1\n")
    with pytest.raises(ValueError, match="unknown option"):
        compat_diff.parse("## a :: x :: loud\n1\n")


def _tensor(dtype, shape, values):
    return {"kind": "tensor", "type": "Tensor", "dtype": dtype, "shape": shape, "values": values}


def test_compare_reports_dtype_shape_and_values_beyond_one_in_a_million():
    a = _tensor("float32", [2], [1.0, 2.0])
    assert compat_diff.compare(a, _tensor("float32", [2], [1.0, 2.0 * (1 + 5e-7)])) == []
    (value,) = compat_diff.compare(a, _tensor("float32", [2], [1.0, 2.0 * (1 + 5e-6)]))
    assert value[0] == "outcome values" and value[3] == "value"
    (dtype,) = compat_diff.compare(a, _tensor("float64", [2], [1.0, 2.0]))
    assert dtype[1:] == ("float32", "float64", "dtype")
    (shape,) = compat_diff.compare(a, _tensor("float32", [1, 2], [1.0, 2.0]))
    assert shape[3] == "shape"
    nested = {"kind": "tuple", "items": [a, {"kind": "int", "value": 3}]}
    other = {"kind": "tuple", "items": [a, {"kind": "int", "value": 4}]}
    assert [d[0] for d in compat_diff.compare(nested, other)] == ["[1] value"]


def test_compare_accepts_a_subclass_of_their_error_and_names_a_missing_name():
    ours = {
        "kind": "error",
        "type": "StateDictKeyError",
        "types": ["StateDictKeyError", "KeyError"],
    }
    assert compat_diff.compare(ours, {"kind": "error", "type": "KeyError"}) == []
    (diff,) = compat_diff.compare(ours, {"kind": "error", "type": "ValueError"})
    assert diff[3] == "error"
    missing = {"kind": "error", "type": "AttributeError", "message": "no attribute 'var'"}
    assert compat_diff.compare(missing, {"kind": "bool", "value": True})[0][3] == "missing"
    assert compat_diff.compare({"kind": "bool", "value": True}, missing)[0][3] == "extension"


def test_every_snippet_runs_in_our_lucid_as_its_header_says(outcomes):
    ours, _ = outcomes
    crashes = [o for o in ours if o["kind"] == "crash"]
    assert crashes == []
    problems = compat_diff.unexpected_crashes(SNIPPETS, ours)
    unlisted = [p for p in problems if p.split(":")[0] not in KNOWN]
    assert unlisted == []


@pytest.mark.skipif(bool(SIDE_MISSING), reason=f"lucid 2.x side environment: {SIDE_MISSING}")
def test_every_public_name_of_lucid_2_is_covered_by_a_snippet():
    names = compat_diff.public_names(SIDE)
    assert len(names) >= 300
    assert compat_diff.uncovered(SNIPPETS, names) == []


def test_uncovered_names_are_the_ones_no_header_lists():
    (snippet,) = compat_diff.parse("## a.b :: nn.Linear, F.relu\n1\n")
    assert compat_diff.uncovered([snippet], ["nn.Linear", "F.gelu", "F.relu"]) == ["F.gelu"]


@pytest.mark.skipif(bool(SIDE_MISSING), reason=f"lucid 2.x side environment: {SIDE_MISSING}")
def test_every_difference_from_lucid_2_is_listed_in_known(outcomes):
    ours, theirs = outcomes
    diffs = compat_diff.differences(SNIPPETS, ours, theirs)
    new = [f"{d.id}: {d.what}: ours={d.ours} theirs={d.theirs}" for d in diffs if d.id not in KNOWN]
    assert new == []


def test_a_hanging_or_dying_snippet_is_a_crash_and_prints_do_not_disturb_the_others():
    snippets = compat_diff.parse(
        "## t.hang :: x\nwhile True:\n    pass\n"
        "## t.die :: x\nimport os\nos._exit(7)\n"
        "## t.loud :: x\nprint('noise')\nresult = lucid.zeros((2,)).shape\n"
        "## t.raises :: x\n{}['missing']\n"
    )
    hang, die, loud, raises = compat_diff.run(sys.executable, snippets, timeout=1.0, jobs=1)
    assert hang == {"kind": "crash", "why": "timeout after 1 s"}
    assert die["kind"] == "crash" and "status" in die["why"]
    assert loud == {"kind": "tuple", "items": [{"kind": "int", "value": 2}]}
    assert (raises["kind"], raises["types"]) == ("error", ["KeyError", "LookupError", "Exception"])
