"""Bit-exact resume: two epochs of the demo network (shuffled DataLoader with two workers,
a learning-rate schedule, AdamW), stopped after the first, saved with lucid.save, loaded
in a fresh process and continued, end with every parameter bit for bit those of an
uninterrupted run. This is the README's resume recipe; each run is a child process
with a time limit."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("sklearn")  # the demo's digits

SCRIPT = textwrap.dedent(
    """
    import sys

    import lucid
    from lucid import data, demo, optim

    mode, path = sys.argv[1], sys.argv[2]
    lucid.random.seed(123)  # the default generator: workers' draws, anything unseeded
    digits = demo.load_digits_split(0)
    dataset = data.TensorDataset(lucid.tensor(digits.x_train), lucid.tensor(digits.y_train))
    # No generator=: the epochs' seeds come from the default generator, so the
    # checkpoint must carry it.
    loader = data.DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2)
    model = demo.build_model("alpha", seed=0)
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=2 * len(loader))


    def generators(model):
        return {
            name: module.generator
            for name, module in model.named_modules()
            if getattr(module, "generator", None) is not None
        }


    def epoch():
        model.train()
        for x, y in loader:
            loss = lucid.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()  # per batch, so the resumed epoch needs the restored schedule


    if mode == "resume":
        checkpoint = lucid.load(path + ".ckpt")
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        loader.load_state_dict(checkpoint["loader"])
        lucid.random.set_state(checkpoint["default_generator"].get_state())
        modules = dict(model.named_modules())
        for name, generator in checkpoint["generators"].items():
            modules[name].generator = generator
    epoch()
    if mode == "stop":
        lucid.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "loader": loader.state_dict(),
                "default_generator": lucid.random.default_generator,
                "generators": generators(model),
            },
            path + ".ckpt",
        )
    else:
        if mode == "through":
            epoch()
        lucid.save(model.state_dict(), path + ".params")
    """
)


def run(script, mode, path):
    done = subprocess.run(
        [sys.executable, str(script), mode, str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_run_resumed_in_a_fresh_process_ends_bit_identical(tmp_path):
    import lucid

    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    run(script, "through", tmp_path / "through")
    run(script, "stop", tmp_path / "resumed")
    run(script, "resume", tmp_path / "resumed")
    through = lucid.load(tmp_path / "through.params")
    resumed = lucid.load(tmp_path / "resumed.params")
    start = lucid.load(tmp_path / "resumed.ckpt")["model"]
    assert list(through) == list(resumed)
    for name in through:
        a, b = np.asarray(through[name].data), np.asarray(resumed[name].data)
        assert a.dtype == b.dtype and np.array_equal(a.view(np.uint32), b.view(np.uint32)), name
    # The second epoch did train: the parameters moved from the checkpoint's.
    assert any(not np.array_equal(through[k].data, start[k].data) for k in through)
