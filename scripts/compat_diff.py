"""Differential runner: the same snippets in this repository's lucid and in lucid 2.x.

    python scripts/compat_diff.py [--lucid2-python PATH] [--only PREFIX] [--timeout S]
                                  [--jobs N] [--by-theme]

The snippets are tests/lucid_compat/snippets/*.txt: each starts with a header line

    ## <id> :: <public names it covers, comma-separated> [:: raises=<Error>] [:: repr]

followed by lucid code whose variable ``result`` (or else last expression) is its
outcome. Both interpreters run every snippet (tests/lucid_compat/worker.py, one forked
child per snippet with a timeout) and report outcomes as JSON; this script compares
them: kind, value (numbers to 1e-6 relative), dtype, shape, requires_grad, the error
type when one raises, and repr where the header asks for it. Every difference is one
line; the run fails (exit 1) if one is not in tests/lucid_compat/known.py, or (a full
run) if one of lucid 2.x's public names (tests/lucid_compat/public_names.py) is in no
snippet's header. Without the
side environment (default .venv-lucid2/bin/python in the repository, or $LUCID2_PYTHON) it says so
and exits 0. --by-theme ends with the differing snippets grouped by known.py's status,
theme and reason: the list the fidelity work starts from.
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPAT = ROOT / "tests" / "lucid_compat"
WORKER = COMPAT / "worker.py"
PUBLIC_NAMES = COMPAT / "public_names.py"
DEFAULT_LUCID2 = str(ROOT / ".venv-lucid2" / "bin" / "python")  # see the README
RTOL = 1e-6
HEADER = re.compile(r"^## (\S+) :: ([^:]+?)((?: :: \S+)*)\s*$")


@dataclass
class Snippet:
    id: str
    names: list[str]
    code: str
    raises: str | None = None
    repr: bool = False
    source: str = ""


@dataclass
class Diff:
    id: str
    what: str
    ours: str
    theirs: str
    category: str


@dataclass
class Report:
    snippets: list[Snippet]
    diffs: list[Diff] = field(default_factory=list)


def parse(text: str, source: str = "<text>") -> list[Snippet]:
    """The snippets of one file, in order; a malformed header is a ValueError."""
    snippets: list[Snippet] = []
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("## "):
            if snippets:
                lines.append(line)
            elif line.strip() and not line.startswith("#"):
                raise ValueError(f"{source}:{number}: code before the first snippet header")
            continue
        if snippets:
            snippets[-1].code = "\n".join(lines).strip() + "\n"
        lines = []
        match = HEADER.match(line)
        if match is None:
            raise ValueError(f"{source}:{number}: bad snippet header {line!r}")
        names = [n.strip() for n in match.group(2).split(",") if n.strip()]
        snippet = Snippet(match.group(1), names, "", source=f"{source}:{number}")
        for option in match.group(3).split(" :: ")[1:]:
            if option.startswith("raises="):
                snippet.raises = option.removeprefix("raises=")
            elif option == "repr":
                snippet.repr = True
            else:
                raise ValueError(f"{source}:{number}: unknown option {option!r}")
        snippets.append(snippet)
    if snippets:
        snippets[-1].code = "\n".join(lines).strip() + "\n"
    return snippets


def load_snippets(folder: Path = COMPAT / "snippets") -> list[Snippet]:
    snippets = [s for p in sorted(folder.glob("*.txt")) for s in parse(p.read_text(), p.name)]
    seen = Counter(s.id for s in snippets)
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        raise ValueError(f"snippet ids used more than once: {twice}")
    return snippets


def load_known(path: Path = COMPAT / "known.py") -> dict[str, tuple[str, str, str]]:
    """known.py's KNOWN: snippet id -> (status "keep" | "open", theme, one-line reason)."""
    spec = importlib.util.spec_from_file_location("lucid_compat_known", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    known: dict[str, tuple[str, str, str]] = module.KNOWN
    for key, (status, theme, _reason) in known.items():
        if status not in module.STATUSES or theme not in module.THEMES:
            raise ValueError(f"known.py: {key}: bad status {status!r} or theme {theme!r}")
    return known


def _environment(python: str) -> dict[str, str]:
    """The environment for an interpreter: another one never sees our PYTHONPATH."""
    if python == sys.executable:
        return dict(os.environ)
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _run_worker(python: str, snippets: list[Snippet], timeout: float) -> list[dict]:
    payload = json.dumps([{"id": s.id, "code": s.code, "repr": s.repr} for s in snippets])
    env = {**_environment(python), "PYTHONHASHSEED": "0", "RAYON_NUM_THREADS": "1"}
    proc = subprocess.run(
        [python, str(WORKER), str(timeout)],
        input=payload,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout * len(snippets) + 60,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{python} {WORKER.name} failed ({proc.returncode}):\n{proc.stderr}")
    outcomes: list[dict] = json.loads(proc.stdout)["outcomes"]
    return outcomes


def run(python: str, snippets: list[Snippet], timeout: float = 10.0, jobs: int = 2) -> list[dict]:
    """Every snippet's outcome under one interpreter: ``jobs`` workers, a fork per snippet."""
    if not snippets:
        return []
    jobs = max(1, min(jobs, len(snippets)))
    parts = [snippets[i::jobs] for i in range(jobs)]
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda part: _run_worker(python, part, timeout), parts))
    outcomes: list[dict] = [{}] * len(snippets)
    for i, part in enumerate(results):
        outcomes[i::jobs] = part
    return outcomes


def _short(value: object, limit: int = 70) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _close(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str) or isinstance(a, bool) or isinstance(b, bool):
        return a == b  # nan/inf spelled as strings, and bools, match exactly
    assert isinstance(a, int | float) and isinstance(b, int | float)
    return abs(a - b) <= RTOL * max(abs(a), abs(b))


def _values_close(ours: list, theirs: list) -> bool:
    if len(ours) != len(theirs):
        return False
    finite = [abs(v) for v in theirs if isinstance(v, int | float) and not isinstance(v, bool)]
    atol = RTOL * max(finite, default=0.0)  # entries near zero: relative to the array's size
    for a, b in zip(ours, theirs, strict=True):
        if _close(a, b):
            continue
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        if not numbers or abs(a - b) > atol:
            return False
    return True


def compare(ours: dict, theirs: dict, path: str = "") -> list[tuple[str, str, str, str]]:
    """The differences of two outcomes: (what, ours, theirs, category) each."""
    at = path or "outcome"
    if ours["kind"] != theirs["kind"]:
        return [(f"{at} kind", _describe(ours), _describe(theirs), _kind_category(ours, theirs))]
    kind, out = ours["kind"], []
    if kind == "error":
        # Raising a subclass of lucid 2.x's exception is compatible: its except clauses catch it.
        if theirs["type"] not in ours.get("types", [ours["type"]]):
            out.append((f"{at} error type", ours["type"], theirs["type"], "error"))
    elif kind == "crash":
        out.append((f"{at} crash", ours["why"], theirs["why"], "crash"))
    elif kind in ("tensor", "ndarray"):
        for key in ("type", "dtype", "shape", "requires_grad"):
            if ours.get(key) != theirs.get(key):
                out.append((f"{at} {key}", _short(ours.get(key)), _short(theirs.get(key)), key))
        if ours["shape"] == theirs["shape"] and not _values_close(ours["values"], theirs["values"]):
            out.append((f"{at} values", _short(ours["values"]), _short(theirs["values"]), "value"))
    elif kind == "scalar":
        if ours["dtype"] != theirs["dtype"]:
            out.append((f"{at} dtype", ours["dtype"], theirs["dtype"], "dtype"))
        if not _values_close([ours["value"]], [theirs["value"]]):
            out.append((f"{at} value", _short(ours["value"]), _short(theirs["value"]), "value"))
    elif kind in ("int", "float", "bool", "str", "dtype", "class"):
        same = ours["value"] == theirs["value"]
        if kind in ("int", "float"):
            same = _values_close([ours["value"]], [theirs["value"]])
        if not same:
            category = "dtype" if kind == "dtype" else "value"
            out.append((f"{at} value", _short(ours["value"]), _short(theirs["value"]), category))
    elif kind in ("list", "tuple"):
        if len(ours["items"]) != len(theirs["items"]):
            n, m = len(ours["items"]), len(theirs["items"])
            out.append((f"{at} length", str(n), str(m), "value"))
        for i, (a, b) in enumerate(zip(ours["items"], theirs["items"], strict=False)):
            out += compare(a, b, f"{path}[{i}]")
    elif kind == "dict":
        keys_a, keys_b = [k for k, _ in ours["items"]], [k for k, _ in theirs["items"]]
        if keys_a != keys_b:
            out.append((f"{at} keys", _short(keys_a), _short(keys_b), "value"))
        b_items = dict(theirs["items"])
        for k, a in ours["items"]:
            if k in b_items:
                out += compare(a, b_items[k], f"{path}[{k!r}]")
    elif kind == "object" and ours["type"] != theirs["type"]:
        out.append((f"{at} type", ours["type"], theirs["type"], "kind"))
    if "repr" in ours and ours.get("repr") != theirs.get("repr"):
        out.append((f"{at} repr", _short(ours["repr"]), _short(theirs.get("repr")), "repr"))
    return out


def _kind_category(ours: dict, theirs: dict) -> str:
    """missing: a name only lucid 2.x has; extension: one only we have; or error, crash, kind."""
    if "crash" in (ours["kind"], theirs["kind"]):
        return "crash"
    if ours["kind"] == "error":
        return "missing" if ours["type"] == "AttributeError" else "error"
    if theirs["kind"] == "error":
        return "extension" if theirs["type"] == "AttributeError" else "error"
    return "kind"


def _describe(outcome: dict) -> str:
    if outcome["kind"] == "error":
        return f"{outcome['type']}: {outcome['message']}"
    if outcome["kind"] == "crash":
        return f"crash ({outcome['why']})"
    detail = outcome.get("type") or outcome.get("dtype") or outcome.get("value", "")
    return _short(f"{outcome['kind']} {detail}".strip())


def differences(snippets: list[Snippet], ours: list[dict], theirs: list[dict]) -> list[Diff]:
    diffs = []
    for snippet, a, b in zip(snippets, ours, theirs, strict=True):
        for what, x, y, category in compare(a, b):
            diffs.append(Diff(snippet.id, what, x, y, category))
    return diffs


def unexpected_crashes(snippets: list[Snippet], outcomes: list[dict]) -> list[str]:
    """Snippets whose outcome breaks their own header: a crash, or an undeclared error."""
    problems = []
    for snippet, out in zip(snippets, outcomes, strict=True):
        if out["kind"] == "crash":
            problems.append(f"{snippet.id}: crash ({out['why']})")
        elif out["kind"] == "error" and snippet.raises not in out.get("types", [out["type"]]):
            problems.append(f"{snippet.id}: raised {out['type']}: {out['message']}")
        elif out["kind"] != "error" and snippet.raises is not None:
            problems.append(f"{snippet.id}: declared raises={snippet.raises} but did not raise")
    return problems


def side_python(explicit: str | None = None) -> str:
    return explicit or os.environ.get("LUCID2_PYTHON") or DEFAULT_LUCID2


def unavailable(python: str) -> str | None:
    """Why lucid 2.x cannot be run with this interpreter, or None when it can."""
    if not Path(python).exists():
        return f"no interpreter at {python}"
    # lucid 2.x: numpy-based, with its dtype objects and without this repository's Rust core.
    probe = "import lucid, sys; sys.exit(not hasattr(lucid, 'Float32') or hasattr(lucid, '_C'))"
    try:
        proc = subprocess.run(
            [python, "-c", probe], capture_output=True, timeout=60, env=_environment(python)
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{python} does not run: {exc}"
    return None if proc.returncode == 0 else f"{python} has no lucid 2.x"


def public_names(python: str) -> list[str]:
    """lucid 2.x's public names ("nn.Linear", "F.relu", "Tensor.sum", ...), listed by
    tests/lucid_compat/public_names.py under ``python``."""
    proc = subprocess.run(
        [python, str(PUBLIC_NAMES)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment(python),
        check=True,
    )
    names: list[str] = json.loads(proc.stdout)
    return names


def uncovered(snippets: list[Snippet], names: list[str]) -> list[str]:
    """The names no snippet header lists."""
    covered = {name for s in snippets for name in s.names}
    return [name for name in names if name not in covered]


def run_both(python2: str, snippets: list[Snippet], timeout: float = 10.0, jobs: int = 2):
    """(ours, theirs): the outcomes under this interpreter and under lucid 2.x, side by side."""
    with ThreadPoolExecutor(2) as pool:
        mine = pool.submit(run, sys.executable, snippets, timeout, jobs)
        theirs = pool.submit(run, python2, snippets, timeout, jobs)
        return mine.result(), theirs.result()


def summarise(snippets: list[Snippet], diffs: list[Diff], known: dict) -> tuple[list[str], int]:
    """The report's lines and the number of differences known.py does not list."""
    lines, new = [], 0
    for d in diffs:
        status = known[d.id][0] if d.id in known else "NEW"
        new += status == "NEW"
        lines.append(f"{d.id}: {d.what}: ours={d.ours} theirs={d.theirs} [{status}]")
    ids, differing = {s.id for s in snippets}, {d.id for d in diffs}
    for key in sorted(set(known) - differing):
        why = "no such snippet" if key not in ids else "no longer differs"
        lines.append(f"{key}: listed in known.py ({known[key][0]}) but {why}")
    categories = Counter(d.category for d in diffs)
    statuses = Counter(known[i][0] if i in known else "NEW" for i in differing)
    themes = Counter(f"{known[i][0]} {known[i][1]}" for i in differing if i in known)
    lines.append(
        f"{len(snippets)} snippets, {len(differing)} differ; {len(diffs)} differences by "
        "kind: " + ", ".join(f"{k} {v}" for k, v in sorted(categories.items()))
    )
    lines.append(
        "differing snippets: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
    )
    lines.append("by theme: " + ", ".join(f"{k} {v}" for k, v in sorted(themes.items())))
    return lines, new


def by_theme(diffs: list[Diff], known: dict) -> list[str]:
    """The differing snippets grouped by status, theme and reason: the work list."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for snippet_id in dict.fromkeys(d.id for d in diffs):
        status, theme, reason = known.get(snippet_id, ("NEW", "-", "not in known.py"))
        groups.setdefault((status, theme, reason), []).append(snippet_id)
    lines = []
    for (status, theme, reason), ids in sorted(groups.items()):
        lines.append(f"[{status} {theme}] {reason} ({len(ids)}): {' '.join(ids)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lucid2-python", help=f"default: $LUCID2_PYTHON or {DEFAULT_LUCID2}")
    parser.add_argument("--only", default="", help="run the snippets whose id starts so")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per snippet")
    parser.add_argument("--jobs", type=int, default=2, help="workers per interpreter")
    parser.add_argument("--by-theme", action="store_true", help="group the differing snippets")
    args = parser.parse_args(argv)
    python2 = side_python(args.lucid2_python)
    why = unavailable(python2)
    if why:
        print(f"compat_diff: {why}; skipped")
        return 0
    snippets = [s for s in load_snippets() if s.id.startswith(args.only)]
    ours, theirs = run_both(python2, snippets, args.timeout, args.jobs)
    known = {k: v for k, v in load_known().items() if k.startswith(args.only)}
    diffs = differences(snippets, ours, theirs)
    lines, new = summarise(snippets, diffs, known)
    if not args.only:
        names = public_names(python2)
        missing = uncovered(snippets, names)
        lines.append(f"lucid 2.x public names: {len(names)}, covered by no snippet: {len(missing)}")
        lines += [f"  not covered: {name}" for name in missing]
        new += len(missing)
    print("\n".join(lines + (by_theme(diffs, known) if args.by_theme else [])))
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
