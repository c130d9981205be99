"""Functional forms of the layers."""

from lucid.nn.functional.dropout import alpha_dropout
from lucid.nn.functional.linear import linear

__all__ = ["alpha_dropout", "linear"]
