"""lucid.save / lucid.load with lucid.random Generators: a loaded generator continues the
saved one's stream exactly, one saved twice loads as one, and forged states are refused."""

import json

import numpy as np
import pytest

import lucid
from lucid import nn


def draws(generator, n=1000):
    return np.asarray(generator.randn(n, "float64"))


def test_a_loaded_generator_continues_the_saved_stream_bit_for_bit(tmp_path):
    generator = lucid.random.Generator(2**64 - 1, stream=7)
    draws(generator, 37)  # an offset inside a block
    lucid.save({"g": generator}, tmp_path / "g.lcd")
    loaded = lucid.load(tmp_path / "g.lcd")["g"]
    assert isinstance(loaded, lucid.random.Generator)
    assert loaded is not generator
    assert loaded.get_state() == generator.get_state()
    assert np.array_equal(draws(loaded).view(np.uint64), draws(generator).view(np.uint64))


def test_a_generator_saved_twice_loads_as_one_and_distinct_ones_stay_distinct(tmp_path):
    a, b = lucid.random.Generator(1), lucid.random.Generator(1)
    lucid.save([a, {"again": a}, b], tmp_path / "g.lucid")
    x, y, z = lucid.load(tmp_path / "g.lucid")
    assert x is y["again"]
    assert x is not z
    assert x.get_state() == z.get_state() == a.get_state()


def test_a_model_with_a_dropout_generator_resumes_its_masks(tmp_path):
    """The checkpoint recipe for per-module generators: the generators ride along."""
    model = nn.Sequential(
        nn.Linear(4, 32), nn.SELU(), nn.AlphaDropout(0.5, generator=lucid.random.Generator(3))
    )
    x = lucid.randn(16, 4)
    model(x)
    dropout = model[2]
    lucid.save({"model": model.state_dict(), "generator": dropout.generator}, tmp_path / "c.lcd")
    after = model(x).data

    restored = nn.Sequential(nn.Linear(4, 32), nn.SELU(), nn.AlphaDropout(0.5))
    checkpoint = lucid.load(tmp_path / "c.lcd")
    restored.load_state_dict(checkpoint["model"])
    restored[2].generator = checkpoint["generator"]
    assert np.array_equal(restored(x).data, after)


@pytest.mark.parametrize(
    "entry, pattern",
    [
        ({"generator": [1, 0], "id": 0}, "a generator's state is"),
        ({"generator": "seed", "id": 0}, "a generator's state is"),
        ({"generator": [1, 0, -1], "id": 0}, "state must be"),
        ({"generator": [2**64, 0, 0], "id": 0}, "seed"),
        ({"generator": [1, 0, 0], "id": "0"}, "bad generator number"),
        ({"generator": [1, 0, 0], "id": True}, "bad generator number"),
        ({"generator": [1, 0, 0]}, "unexpected manifest entry"),
    ],
)
def test_a_forged_generator_entry_is_a_value_error(tmp_path, entry, pattern):
    text = json.dumps({"format": "lucid", "version": 1, "object": entry})
    path = tmp_path / "forged.npz"
    with open(path, "wb") as f:
        np.savez(f, __lucid__=np.frombuffer(text.encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match=f"forged.npz.*{pattern}"):
        lucid.load(path)
