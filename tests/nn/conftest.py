"""Fixtures shared by the tests in tests/nn."""

import warnings

import numpy as np
import pytest


@pytest.fixture
def strict_numpy():
    """Any overflow, division by zero, invalid operation or warning is an error."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield
