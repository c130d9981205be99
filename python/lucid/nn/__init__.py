"""Neural-network building blocks: modules, parameters, functional forms, init."""

from lucid.nn import functional, init
from lucid.nn.module import Module
from lucid.nn.modules import Linear
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
from lucid.nn.modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from lucid.nn.parameter import Parameter

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
    "Module",
    "NLLLoss",
    "Parameter",
    "functional",
    "init",
]
