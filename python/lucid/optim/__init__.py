"""Optimisers with lucid 2.x's names and positional orders and PyTorch's state-dict layout:
SGD, Adam, AdamW, ASGD, Adadelta, Adagrad, Adamax, NAdam, RAdam, RMSprop, Rprop; the
learning-rate schedulers are in lucid.optim.lr_scheduler."""

from lucid.optim import lr_scheduler
from lucid.optim.adadelta import Adadelta
from lucid.optim.adagrad import Adagrad
from lucid.optim.adam import Adam, AdamW
from lucid.optim.adamax import Adamax
from lucid.optim.asgd import ASGD
from lucid.optim.nadam import NAdam
from lucid.optim.optimizer import Optimizer
from lucid.optim.radam import RAdam
from lucid.optim.rmsprop import RMSprop
from lucid.optim.rprop import Rprop
from lucid.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "ASGD",
    "Adadelta",
    "Adagrad",
    "Adamax",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Rprop",
    "Optimizer",
    "lr_scheduler",
]
