"""The scripts in examples/ run as a user runs them, from a fresh interpreter."""

import re
import subprocess
import sys
from pathlib import Path

import lucid

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quickstart_prints_the_output_and_the_gradient():
    output, grad = run("quickstart.py").splitlines()
    assert output.startswith("[[") and output.endswith("]]")  # str(): the values
    # The gradient of a sum through alpha dropout: A where kept, 0 where dropped.
    a = lucid._C.dropout_coefficients(0.1, "alpha")[0]
    values = [float(v) for v in re.findall(r"[-0-9.e+]+", grad)]
    assert len(values) == 4
    assert all(v == 0.0 or abs(v - a) < 1e-6 for v in values), grad


def test_train_selu_learns_two_blobs_and_reloads_the_same_model():
    out = run("train_selu.py")
    accuracy = float(re.search(r"train accuracy ([0-9.]+)", out).group(1))
    # Blob centres ~5.7 apart with unit noise: the best possible accuracy is about
    # Phi(5.7 / 2) = 0.998, so a trained network that falls below 0.9 has not learned.
    assert accuracy > 0.9, out
    assert "reloaded" in out
