"""Neural-network building blocks: modules, parameters, functional forms, init."""

from lucid.nn import functional, init
from lucid.nn.module import Module
from lucid.nn.modules import Linear
from lucid.nn.modules.dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from lucid.nn.parameter import Parameter

__all__ = [
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
    "Linear",
    "Module",
    "Parameter",
    "functional",
    "init",
]
