"""Neural-network building blocks: modules, parameters, functional forms, init."""

from lucid.nn import functional, init
from lucid.nn.module import Module
from lucid.nn.modules import AlphaDropout, Linear
from lucid.nn.parameter import Parameter

__all__ = ["AlphaDropout", "Linear", "Module", "Parameter", "functional", "init"]
