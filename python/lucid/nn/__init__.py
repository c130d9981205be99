"""Neural-network building blocks: modules, parameters, functional forms, init.

The layers' names are listed once, in lucid.nn.modules; this package re-exports them.
"""

from lucid.nn import functional, init, modules
from lucid.nn.module import Module
from lucid.nn.modules import *  # noqa: F403  the layers, by modules.__all__
from lucid.nn.parameter import Parameter

__all__ = [*modules.__all__, "Module", "Parameter", "functional", "init"]  # noqa: PLE0604
