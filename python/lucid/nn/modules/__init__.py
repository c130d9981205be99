"""The layers: each a Module over a function in lucid.nn.functional."""

from lucid.nn.modules.dropout import AlphaDropout
from lucid.nn.modules.linear import Linear

__all__ = ["AlphaDropout", "Linear"]
