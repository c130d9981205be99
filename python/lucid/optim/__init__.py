"""Optimisers with PyTorch's update rules and state-dict layout: SGD, Adam, AdamW."""

from lucid.optim.adam import Adam, AdamW
from lucid.optim.optimizer import Optimizer
from lucid.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
