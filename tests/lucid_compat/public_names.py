"""Print, as JSON, the public names of the lucid this interpreter imports: its top level,
lucid.nn, lucid.nn.functional (as "F."), lucid.nn.init, lucid.optim, lucid.random,
lucid.linalg, lucid.einops, lucid.data and the Tensor class's methods and properties.

Run by scripts/compat_diff.py under lucid 2.x, to check that some snippet covers every
name. A name counts when its object comes from lucid: names of other packages that
lucid's modules happen to import (typing's Any, pathlib's Path, ...), submodules, and a
sub-namespace's re-exports of top-level names (lucid.nn.functional.Tensor) do not.
"""

import inspect
import json

import lucid
import lucid.data
import lucid.einops
import lucid.linalg
import lucid.nn
import lucid.nn.functional
import lucid.nn.init
import lucid.optim
import lucid.random

SPACES = {
    "": lucid,
    "nn.": lucid.nn,
    "F.": lucid.nn.functional,
    "nn.init.": lucid.nn.init,
    "optim.": lucid.optim,
    "random.": lucid.random,
    "linalg.": lucid.linalg,
    "einops.": lucid.einops,
    "data.": lucid.data,
}
TOP = {id(getattr(lucid, n)) for n in dir(lucid) if not n.startswith("_")}


def _counts(prefix, obj):
    if inspect.ismodule(obj):
        return False
    home = getattr(obj, "__module__", None)
    if isinstance(home, str) and home.split(".")[0] != "lucid" and not isinstance(obj, type):
        return False  # a function of another package
    if isinstance(obj, type) and obj.__module__.split(".")[0] != "lucid":
        return False
    return prefix == "" or id(obj) not in TOP


names = [
    prefix + name
    for prefix, space in SPACES.items()
    for name in sorted(dir(space))
    if not name.startswith("_") and _counts(prefix, getattr(space, name))
]
names += ["Tensor." + n for n in sorted(dir(lucid.Tensor)) if not n.startswith("_")]
print(json.dumps(names))
