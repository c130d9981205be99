"""Train a small self-normalising network on synthetic data, then save and reload it.

The same code runs on lucid 2.x's API: Sequential, SELU, AlphaDropout, lecun_normal,
cross_entropy, Adam. Run: python examples/train_selu.py
"""

import os
import tempfile

import numpy as np

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

lucid.random.seed(0)
lucid.set_default_dtype(lucid.float32)  # float32 layers (lucid 2.x's default is float64)

# Two Gaussian blobs in 16 dimensions; labels 0 and 1 as int64 class indices.
rng = np.random.default_rng(0)
centres = rng.normal(size=(2, 16))
labels = rng.integers(0, 2, size=512)
features = centres[labels] + rng.normal(size=(512, 16))
x = lucid.tensor(features.astype(np.float32))
y = lucid.tensor(labels.astype(np.int64))

layers = []
for width_in in [16, 64, 64, 64]:
    layers += [nn.Linear(width_in, 64), nn.SELU(), nn.AlphaDropout(p=0.05)]
model = nn.Sequential(*layers, nn.Linear(64, 2))
for module in model.modules():
    if isinstance(module, nn.Linear):
        nn.init.lecun_normal(module.weight)  # the SELU initialisation
        nn.init.constant(module.bias, 0.0)

optimizer = lucid.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(20):  # epochs
    for start in range(0, 512, 64):
        loss = F.cross_entropy(model(x[start : start + 64]), y[start : start + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

model.eval()  # AlphaDropout is the identity in eval mode
with lucid.no_grad():
    accuracy = float((model(x).argmax(axis=1).data == labels).mean())
print(f"train accuracy {accuracy:.3f}, last loss {loss.item():.4f}")

path = os.path.join(tempfile.mkdtemp(), "selu.lucid")
lucid.save(model.state_dict(), path)
model.load_state_dict(lucid.load(path))
with lucid.no_grad():
    assert float((model(x).argmax(axis=1).data == labels).mean()) == accuracy
print(f"saved to and reloaded from {path}")
