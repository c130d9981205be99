"""Modules and optimizers under copy.copy, copy.deepcopy, pickle and a multiprocessing Queue.

Laws: a deep copy has the same parameters (bits, type, grads, Rust storage), masks and
generator states; shared references (a tied weight, an optimizer's state keyed by the
Parameters in its groups, one generator on several layers) stay shared within the
copy; a copy is independent of its original; optimizers come without scratch
workspaces; and a copy trains to the same bits as the original from the same
generator state. A Queue to a "spawn" child runs in a subprocess with a timeout.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from test_copies import DEEP, METHODS, check_same

import lucid
from lucid import Tensor, _storage, nn, optim
from lucid.random import Generator

X = Tensor(np.linspace(-2, 2, 8 * 6, dtype=np.float32).reshape(8, 6))
Y = Tensor(np.cos(np.arange(8 * 3, dtype=np.float32)).reshape(8, 3))


def _net(generator=None):
    return nn.Sequential(
        nn.Linear(6, 16),
        nn.SELU(),
        nn.AlphaDropout(0.2, generator=generator),
        nn.Linear(16, 3),
        nn.Dropout(0.1, generator=generator),  # the same generator object twice
    )


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Linear(6, 3)
        self.decode = nn.Linear(3, 3)
        self.decode.bias = self.encode.bias
        self.register_buffer("count", Tensor([3], dtype=np.int64))

    def forward(self, x):
        return self.decode(self.encode(x))


def _step(model, opt, steps=1):
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(X), Y).backward()
        opt.step()


def _forwarded(model):
    nn.MSELoss()(model(X), Y).backward()  # leaves masks in the dropout layers, and grads
    return model


MODELS = {
    "fresh": lambda: _net(),
    "after a training forward": lambda: _forwarded(_net()),
    "after a training forward, with a generator": lambda: _forwarded(_net(Generator(7))),
    "after an eval forward": lambda: _forwarded(_net(Generator(8))).eval(),
    "tied weights": lambda: _forwarded(Tied()),
}

OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=1e-2, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
}


def _bits(array):
    array = np.asarray(array)
    return array.dtype.str, array.shape, array.tobytes()


def _dropouts(model):
    return [m for m in model.modules() if hasattr(m, "_bits")]


@pytest.mark.parametrize("method", DEEP)
@pytest.mark.parametrize("kind", MODELS)
def test_a_copied_module_has_the_same_state_masks_and_generators(kind, method):
    original = MODELS[kind]()
    copied = METHODS[method](original)
    assert type(copied) is type(original) and copied.training == original.training
    pairs = list(zip(original.named_parameters(), copied.named_parameters(), strict=True))
    for (name, p), (copy_name, q) in pairs:
        assert name == copy_name
        check_same(p, q)
    for (_, b), (_, c) in zip(original.named_buffers(), copied.named_buffers(), strict=True):
        check_same(b, c)
    for layer, twin in zip(_dropouts(original), _dropouts(copied), strict=True):
        assert (layer.mask is None) == (twin.mask is None)
        if layer.mask is not None:
            assert _bits(twin.mask.data) == _bits(layer.mask.data)
        if layer.generator is not None:
            assert twin.generator is not layer.generator
            assert twin.generator.get_state() == layer.generator.get_state()
    generators = {id(layer.generator) for layer in _dropouts(copied)}
    assert len(generators) == len({id(layer.generator) for layer in _dropouts(original)})
    if isinstance(original, Tied):
        assert copied.decode.bias is copied.encode.bias
        assert len(list(copied.parameters())) == len(list(original.parameters()))
    assert _bits(copied.eval()(X).data) == _bits(original.eval()(X).data)


@pytest.mark.parametrize("method", DEEP)
def test_a_copied_modules_state_dict_saves_and_its_writes_stay_its_own(method, tmp_path):
    original = _forwarded(_net(Generator(1)))
    copied = METHODS[method](original)
    before = {k: _bits(v) for k, v in original.state_dict().items()}  # arrays, as lucid 2.x
    for value in copied.state_dict(keep_vars=True).values():
        assert _storage.is_storage_view(value.data)
        value.data[...] = 0  # the copy's own storage, never the original's
    assert {k: _bits(v) for k, v in original.state_dict().items()} == before
    lucid.save(copied.state_dict(), tmp_path / "copy.lucid")
    loaded = lucid.load(tmp_path / "copy.lucid")
    assert all(not np.asarray(loaded[k]).any() for k in before)
    lucid.random.rand(3, generator=copied[2].generator)
    assert copied[2].generator.get_state() != original[2].generator.get_state()


def test_copy_copy_of_a_module_shares_parameters_in_registries_of_its_own():
    original = Tied()
    shallow = copy.copy(original)
    assert shallow.encode is original.encode and shallow.count is original.count
    assert shallow._modules is not original._modules
    shallow.decode = nn.Linear(3, 3)
    shallow.register_buffer("extra", Tensor([1.0]))
    assert original.decode.bias is original.encode.bias
    assert "extra" not in dict(original.named_buffers())


def _trained(opt_kind, generator=None, steps=3):
    model = _net(generator)
    opt = OPTIMIZERS[opt_kind](model.parameters())
    _step(model, opt, steps)
    return model, opt


def _state_bits(opt):
    return [
        {k: _bits(v.data) if isinstance(v, Tensor) else v for k, v in opt.state[p].items()}
        for group in opt.param_groups
        for p in group["params"]
    ]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("opt_kind", OPTIMIZERS)
def test_a_copied_optimizer_keeps_its_state_keyed_by_its_groups_parameters(opt_kind, method):
    model, opt = _trained(opt_kind)
    # The fused steps use no scratch arrays: one per-parameter step leaves some, for
    # the copies below to drop.
    opt._foreach = False
    _step(model, opt, 1)
    del opt._foreach
    assert opt._workspace
    # copy.copy of a tuple is the tuple itself: copy the optimizer alone.
    pair = (model, copy.copy(opt)) if method == "copy" else METHODS[method]((model, opt))
    copied_model, copied = pair
    assert type(copied) is type(opt) and copied._workspace == {}
    params = copied.param_groups[0]["params"]
    assert [id(p) for p in params] == [id(p) for p in copied_model.parameters()]
    assert {id(p) for p in copied.state} == {id(p) for p in params}
    assert _state_bits(copied) == _state_bits(opt)
    for p in copied.state:
        for value in copied.state[p].values():
            assert not isinstance(value, Tensor) or _storage.is_storage_view(value.data)
    strip = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    assert [{k: v for k, v in g.items() if k != "params"} for g in copied.param_groups] == strip
    if method != "copy":  # a deep copy's steps leave the original's state alone
        _step(copied_model, copied)
        assert _state_bits(copied) != _state_bits(opt)


@pytest.mark.parametrize("method", DEEP)
def test_an_optimizer_copied_alone_keeps_its_state_keyed_by_its_own_parameters(method):
    _, opt = _trained("Adam")
    copied = METHODS[method](opt)
    params = copied.param_groups[0]["params"]
    assert all(isinstance(p, nn.Parameter) for p in params)
    assert {id(p) for p in copied.state} == {id(p) for p in params}
    assert not {id(p) for p in params} & {id(p) for p in opt.param_groups[0]["params"]}


def _params_bits(model):
    return [_bits(p.data) for p in model.parameters()]


@pytest.mark.parametrize("method", DEEP)
@pytest.mark.parametrize("opt_kind", OPTIMIZERS)
@pytest.mark.parametrize("source", ["own generator", "default generator"])
def test_a_copied_model_trains_to_the_same_bits(source, opt_kind, method):
    model, opt = _trained(opt_kind, Generator(11) if source == "own generator" else None)
    twin, twin_opt = METHODS[method]((model, opt))
    state = lucid.random.get_state()
    _step(model, opt, 4)
    after = lucid.random.get_state()
    lucid.random.set_state(state)  # the default generator replays; own ones were copied
    _step(twin, twin_opt, 4)
    assert lucid.random.get_state() == after
    assert _params_bits(twin) == _params_bits(model)
    assert _state_bits(twin_opt) == _state_bits(opt)
    assert _bits(twin.eval()(X).data) == _bits(model.eval()(X).data)
    if source == "default generator":
        assert after != state  # the dropout layers did draw from it


# ---- a multiprocessing Queue to a "spawn" child --------------------------------------

_SCRIPT = r"""
import json, multiprocessing as mp, pickle
import numpy as np
import lucid
from lucid import _C, _storage, nn, optim

def laws(objects):
    tensor, param, model, opt, gen, mask = objects
    params = list(model.parameters())
    return {
        "storage": all(_storage.is_storage_view(t.data) for t in [tensor, param, *params]),
        "grads": all(_storage.is_storage_view(t.grad) for t in [param, *params]),
        "types": [type(o).__name__ for o in objects],
        "groups": [id(p) for p in opt.param_groups[0]["params"]] == [id(p) for p in params],
        "state": {id(p) for p in opt.state} == {id(p) for p in params},
        "workspace": opt._workspace == {},
        "tied": model[2].generator is model[4].generator,
    }

def fingerprint(objects, x):
    tensor, param, model, opt, gen, mask = objects
    values = [tensor.data, param.data, param.grad, *(p.data for p in model.parameters())]
    values += [v.data for s in opt.state.values() for v in s.values() if hasattr(v, "data")]
    values += [np.asarray(mask.to_storage("float64")), model.eval()(x).data]
    model.train()
    values.append(lucid.random.rand(1000, generator=gen, dtype=np.float64).data)
    return [v.tobytes().hex() for v in values]

def child(inbox, outbox, x):
    objects = inbox.get(timeout=120)
    outbox.put((laws(objects), fingerprint(objects, x), objects))

if __name__ == "__main__":
    gen = lucid.random.Generator(2026)
    model = nn.Sequential(nn.Linear(3, 5), nn.SELU(), nn.AlphaDropout(0.3, generator=gen),
                          nn.Linear(5, 2), nn.Dropout(0.2, generator=gen))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = lucid.Tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    for _ in range(2):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
    param = nn.Parameter(lucid.Tensor([1.0, -2.0]))
    (param * param).sum().backward()
    objects = (lucid.Tensor(np.arange(6).reshape(2, 3)), param, model, opt,
               lucid.random.Generator(9, stream=2), _C.dropout_mask(100, 0.5, gen, "alpha"))
    ctx = mp.get_context("spawn")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=child, args=(inbox, outbox, x), daemon=True)
    proc.start()
    inbox.put(objects)
    theirs, their_prints, back = outbox.get(timeout=240)
    proc.join(60)
    ours = fingerprint(objects, x)
    print(json.dumps({"child": theirs, "back": laws(back), "exitcode": proc.exitcode,
                      "same in the child": their_prints == ours,
                      "same back": fingerprint(back, x) == fingerprint(objects, x)}))
"""


def test_everything_crosses_a_queue_to_a_spawned_child_and_back(tmp_path):
    script = tmp_path / "queue_child.py"
    script.write_text(_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a hang is cleared with the child it spawned
    )
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the queue round trip hung for 300 s; stderr: ...{err[-2000:]}")
    assert proc.returncode == 0, err[-3000:]
    report = json.loads(out.splitlines()[-1])
    types = ["Tensor", "Parameter", "Sequential", "Adam", "Generator", "Mask"]
    for leg in ("child", "back"):
        assert report[leg].pop("types") == types
        assert all(report[leg].values()), report
    assert report["exitcode"] == 0
    assert report["same in the child"] and report["same back"], report
