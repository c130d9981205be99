"""python -m lucid.demo: the command line, the data split, the model and the layer laws."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

import lucid.nn as nn  # noqa: E402
from lucid import demo  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _accuracies(out: str) -> tuple[float, float]:
    train = re.search(r"^train accuracy\s+([0-9.]+)$", out, re.MULTILINE)
    test = re.search(r"^test accuracy\s+([0-9.]+)$", out, re.MULTILINE)
    assert train and test, out
    return float(train.group(1)), float(test.group(1))


def test_main_trains_prints_accuracies_and_writes_a_png(tmp_path, capsys):
    out_path = tmp_path / "layers.png"
    assert demo.main(["--epochs", "1", "--seed", "0", "--out", str(out_path)]) == 0
    first = capsys.readouterr().out
    train, test = _accuracies(first)
    # Chance is 0.1. After one epoch, 40 seeds gave train >= 0.76 and test >= 0.72
    # (mean 0.80 and 0.79, sd 0.03): 0.5 is five times chance and far below the worst.
    assert train > 0.5 and test > 0.5
    assert re.search(r"^epoch 1/1  loss \d", first, re.MULTILINE)
    data = out_path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000

    # The same seed gives the same split, weights, masks and batch order.
    assert demo.main(["--epochs", "1", "--seed", "0", "--out", str(out_path)]) == 0
    second = capsys.readouterr().out
    assert _accuracies(second) == (train, test)
    table = first[first.index("training-mode outputs") : first.index("plot written")]
    assert table in second


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epochs", "0"], "must be at least 1"),
        (["--epochs", "-3"], "must be at least 1"),
        (["--epochs", "two"], "expected a whole number"),
        (["--seed", "-1"], "must be at least 0"),
        (["--seed", str(2**32)], f"must be below {2**32}"),
        (["--seed", "1.5"], "expected a whole number"),
        (["--out", "no/such/directory/plot.png"], "does not exist"),
    ],
)
def test_bad_arguments_are_argparse_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_out_may_not_be_a_directory(tmp_path, capsys):
    with pytest.raises(SystemExit):
        demo.main(["--out", str(tmp_path)])
    assert "is a directory" in capsys.readouterr().err


def test_a_missing_dependency_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    assert demo.main(["--out", str(tmp_path / "plot.png")]) == 1
    err = capsys.readouterr().err
    assert "scikit-learn" in err and 'pip install "lucid-rs[demo]"' in err
    assert not (tmp_path / "plot.png").exists()


def test_split_is_stratified_standardised_and_typed():
    data = demo.load_digits_split(seed=3)
    assert (len(data.x_train), len(data.x_test)) == (1347, 450)
    assert data.x_train.dtype == data.x_test.dtype == np.float32
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    # Stratified: each class's share of the two sides differs by at most the rounding of
    # its count to whole images on each side.
    train_share = np.bincount(data.y_train) / len(data.y_train)
    test_share = np.bincount(data.y_test) / len(data.y_test)
    rounding = 1 / len(data.y_train) + 1 / len(data.y_test)
    assert np.abs(train_share - test_share).max() < rounding
    # Standardised with the training set's statistics: blank pixels become 0.
    std = data.x_train.std(axis=0)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(std[std > 0], 1, rtol=1e-4)
    assert (std == 0).sum() >= 3  # pixels 0, 32 and 39 are blank in every image


def test_build_model_blocks_share_weights_across_dropout_kinds():
    alpha = demo.build_model("alpha", seed=5)
    standard = demo.build_model("standard", seed=5)
    *blocks, head = alpha.children()
    assert len(blocks) == 8 and isinstance(head, nn.Linear)
    for block in blocks:
        linear, selu, dropout = block.children()
        assert isinstance(linear, nn.Linear) and isinstance(selu, nn.SELU)
        assert isinstance(dropout, nn.AlphaDropout) and dropout.p == demo.P
        assert not linear.bias.data.any()
    # lecun_normal: weight variance 1 / fan_in (128·128 draws: within 5%).
    assert abs(blocks[1][0].weight.data.var() * 128 - 1) < 0.05
    for (name, a), (_, s) in zip(
        alpha.state_dict().items(), standard.state_dict().items(), strict=True
    ):
        np.testing.assert_array_equal(a.data, s.data, err_msg=name)
    assert isinstance(next(standard.children())[2], nn.Dropout)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"dropout": "gaussian"}, ValueError), ({"depth": 0}, ValueError), ({"p": 1.5}, ValueError)],
)
def test_build_model_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        demo.build_model(**kwargs)


# Layer laws at initialisation, in training mode, on the standardised training digits.
# Over 100 seeds (each a new split, weights and masks) AlphaDropout's worst layer had
# |mean| 0.014 and |std - 1| 0.058 (layer 1, where the blank and strongly correlated
# pixels leave the first layer's input with less than unit variance; layers 2-8 stayed
# within 0.049). The bounds below leave room above those. Sampling error alone is far
# smaller: 1,347 × 128 values per layer. Plain Dropout's last-layer std exceeded
# AlphaDropout's distance from 1 by 0.15 to 0.25 (mean 0.20).
MEAN_BOUND = 0.05
STD_BOUND = 0.1
DRIFT_MARGIN = 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_dropout_keeps_every_layer_near_mean_0_std_1(seed):
    data = demo.load_digits_split(seed)
    stats = demo.layer_statistics(demo.build_model("alpha", seed=seed), data.x_train)
    assert stats.shape == (demo.DEPTH, 2)
    assert np.abs(stats[:, 0]).max() < MEAN_BOUND, stats
    assert np.abs(stats[:, 1] - 1).max() < STD_BOUND, stats


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plain_dropout_drifts_further_from_std_1_in_deep_layers(seed):
    data = demo.load_digits_split(seed)
    curves = demo.compare_dropouts(data.x_train, seed)
    alpha, standard = curves["alpha"][:, 1], curves["standard"][:, 1]
    # 1/(1 - p) scaling raises the variance at every layer, so the drift grows with depth.
    assert abs(standard[-1] - 1) > abs(alpha[-1] - 1) + DRIFT_MARGIN, curves
    assert standard[-1] > standard[0]


def test_layer_statistics_keeps_the_mode_and_uses_training_mode():
    data = demo.load_digits_split(0)
    model = demo.build_model("alpha", seed=0).eval()
    stats = demo.layer_statistics(model, data.x_train[:256])
    assert not model.training
    # In eval mode dropout is the identity; the training-mode call must have dropped units.
    assert all(block[2].mask is not None for block in list(model.children())[:-1])
    assert np.isfinite(stats).all()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_and_erases_itself():
    stream = _Terminal()
    bar = demo.ProgressBar("epoch 1/2", stream=stream, width=10)
    bar(5, 10, 0.25)
    assert "epoch 1/2 [#####.....] 5/10 loss 0.2500" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r\033[K")


def test_progress_bar_is_silent_when_not_a_terminal():
    stream = io.StringIO()
    bar = demo.ProgressBar("epoch 1/2", stream=stream)
    bar(1, 2, 0.5)
    bar.close()
    assert stream.getvalue() == ""
