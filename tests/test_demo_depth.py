"""python -m lucid.demo --depths ...: the sweep's options, its networks, its schedule, its
table and figure, and that a seed gives the same numbers every time."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

import lucid.nn as nn  # noqa: E402
from lucid import _demo_depth as sweep  # noqa: E402
from lucid import demo  # noqa: E402
from lucid._demo_report import sweep_table  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROW = re.compile(r"^\| (\w+) \| ([^|]+?) \| (.*) \|$", re.MULTILINE)


def _rows(out: str) -> dict[tuple[str, str], list[str]]:
    """The table's rows, (data set, network) → one cell per depth."""
    rows = {}
    for dataset, network, cells in ROW.findall(out):
        if dataset != "data":  # the header
            rows[(dataset, network)] = [c.strip() for c in cells.split("|")]
    return rows


def test_parse_args_fills_the_sweep_defaults_only_with_depths():
    args = demo.parse_args(["--depths", "8", "16", "32"])
    assert args.depths == [8, 16, 32]
    assert args.datasets == ["digits", "breast_cancer"]
    assert (args.seeds, args.seed, args.epochs) == (sweep.SEEDS, 0, sweep.EPOCHS)
    assert args.out == Path("lucid-depths.png")
    plain = demo.parse_args([])
    assert plain.depths is None and plain.epochs == demo.EPOCHS
    assert plain.out == Path("lucid-demo.png")
    mixed = demo.parse_args(["--depths", "3", "--datasets", "breast_cancer", "--seeds", "2"])
    assert (mixed.datasets, mixed.seeds) == (["breast_cancer"], 2)


def test_help_lists_the_sweep_options_and_their_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.parse_args(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for option in ("--depths", "--datasets", "--seeds", "--epochs", "--seed", "--out"):
        assert option in text
    assert f"(default {sweep.SEEDS})" in text and "(default all)" in text
    assert "default: no sweep" in text and "lucid-depths.png" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--depths", "0"], "argument --depths: must be at least 1, got 0"),
        (["--depths", "4", "-2"], "argument --depths: must be at least 1, got -2"),
        (["--depths", "deep"], "argument --depths: expected a whole number, got 'deep'"),
        (["--depths"], "argument --depths: expected at least one argument"),
        (["--depths", "2", "--datasets", "iris"], "argument --datasets: invalid choice: 'iris'"),
        (["--depths", "2", "--seeds", "0"], "argument --seeds: must be at least 1, got 0"),
        (["--depths", "2", "2"], "--depths: 2 is given more than once"),
        (["--depths", "2", "--datasets", "digits", "digits"], "--datasets: digits is given"),
        (["--depths", "2", "--seed", str(2**32 - 2), "--seeds", "3"], "--seeds 3: --seed +"),
        (["--seeds", "2"], "--seeds applies only to the depth sweep"),
        (["--datasets", "digits"], "--datasets applies only to the depth sweep"),
    ],
)
def test_bad_sweep_arguments_are_argparse_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_tiny_sweep_prints_every_combination_and_writes_the_figure(tmp_path, capsys):
    out_path = tmp_path / "depths.png"
    args = ["--depths", "2", "3", "--seeds", "2", "--epochs", "1", "--datasets", "digits"]
    assert demo.main([*args, "--out", str(out_path)]) == 0
    first = capsys.readouterr().out
    rows = _rows(first)
    assert set(rows) == {("digits", name) for name in sweep.MODELS.values()}
    for cells in rows.values():
        assert len(cells) == 2  # depths 2 and 3
        for cell in cells:
            mean, spread = (float(v) for v in cell.split(" ± "))
            assert 0 <= mean <= 1 and spread >= 0
    assert "| data set | network | depth 2 | depth 3 |" in first
    assert "(12 runs," in first
    data = out_path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000

    # Every run seeds its own generators: the same command gives the same table.
    assert demo.main([*args, "--out", str(out_path)]) == 0
    assert _rows(capsys.readouterr().out) == rows


def test_a_run_depends_on_its_seed_and_not_on_the_rest_of_the_sweep():
    data = sweep.load_dataset("breast_cancer", 0)
    losses, test, _ = sweep.train_run("relu_bn", data, 2, 0, epochs=2)
    again, test_again, _ = sweep.train_run("relu_bn", data, 2, 0, epochs=2)
    np.testing.assert_array_equal(losses, again)
    assert test == test_again
    other, _, _ = sweep.train_run("relu_bn", data, 2, 1, epochs=2)
    assert not np.array_equal(losses, other)
    # The same run inside a sweep over more depths and seeds gives the same curve.
    result = sweep.run_sweep(["breast_cancer"], [2, 3], [0, 1], 2, demo.ProgressBar("test"))
    np.testing.assert_array_equal(
        result.losses[("breast_cancer", 2)][sweep.MODELS["relu_bn"]][0], losses
    )
    assert result.accuracies[("breast_cancer", "relu_bn", 2)][0] == test
    assert set(result.statistics["at init"]) == set(sweep.MODELS.values())
    assert all(s.shape == (3, 2) for s in result.statistics["after training"].values())


def test_build_network_makes_each_kind_with_its_initialisation():
    fan_in = 128
    for kind, layers in [
        ("selu", (nn.Linear, nn.SELU, nn.AlphaDropout)),
        ("relu", (nn.Linear, nn.ReLU, nn.Dropout)),
        ("relu_bn", (nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout)),
    ]:
        *blocks, head = sweep.build_network(kind, 4, 30, 2, seed=1).children()
        assert len(blocks) == 4 and isinstance(head, nn.Linear) and head.out_features == 2
        for block in blocks:
            assert tuple(type(m) for m in block.children()) == layers
            assert block[-1].p == sweep.P
        weight = blocks[1][0].weight.data
        assert weight.dtype == np.float32
        if kind == "selu":  # lecun_normal: variance 1 / fan_in, within 5% over 128² draws
            assert abs(weight.var() * fan_in - 1) < 0.05
            assert not blocks[1][0].bias.data.any()
        else:  # He uniform: U(±sqrt(6 / fan_in)), variance 2 / fan_in
            assert np.abs(weight).max() <= math.sqrt(6 / fan_in)
            assert abs(weight.var() * fan_in / 2 - 1) < 0.05
            assert np.abs(blocks[1][0].bias.data).max() <= 1 / math.sqrt(fan_in)


@pytest.mark.parametrize(
    "kwargs", [{"kind": "tanh"}, {"depth": 0}, {"depth": True}, {"depth": 2.0}]
)
def test_build_network_rejects_bad_arguments(kwargs):
    arguments = {"kind": "selu", "depth": 2, "in_features": 4, "classes": 2, **kwargs}
    with pytest.raises(ValueError, match="kind|depth"):
        sweep.build_network(**arguments)


def test_breast_cancer_split_is_stratified_and_standardised():
    x_train, y_train, x_test, y_test = sweep.load_dataset("breast_cancer", 2)
    assert x_train.shape == (426, 30) and x_test.shape == (143, 30)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    share = abs(y_train.mean() - y_test.mean())
    assert share < 1 / len(y_train) + 1 / len(y_test)
    np.testing.assert_allclose(x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x_train.std(axis=0), 1, rtol=1e-4)
    with pytest.raises(ValueError, match="iris"):
        sweep.load_dataset("iris", 0)


def test_the_table_gives_the_mean_and_the_sample_standard_deviation():
    accuracies = {("digits", "a", 8): [0.5, 0.7], ("digits", "a", 16): [0.25]}
    table = sweep_table(accuracies, ["digits"], {"a": "A net"}, [8, 16])
    # mean 0.6; sample std sqrt(((0.1)² + (0.1)²) / 1) = 0.1414; one seed has spread 0.
    assert table.splitlines() == [
        "| data set | network | depth 8 | depth 16 |",
        "|---|---|---:|---:|",
        "| digits | A net | 0.600 ± 0.141 | 0.250 ± 0.000 |",
    ]
