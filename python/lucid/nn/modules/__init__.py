"""The layers: each a Module over a function in lucid.nn.functional."""

from lucid.nn.modules.activation import (
    ELU,
    GELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from lucid.nn.modules.basic import Flatten, Identity
from lucid.nn.modules.container import ModuleDict, ModuleList, Sequential
from lucid.nn.modules.dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss

__all__ = [
    "ELU",
    "GELU",
    "SELU",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "LogSoftmax",
    "ModuleDict",
    "ModuleList",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Linear",
    "MSELoss",
    "NLLLoss",
]
