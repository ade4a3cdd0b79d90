import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import manabi  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    """The embedded mnist-10k as the book loads it: float32 k/255, one-hot labels."""
    return manabi.load_mnist(normalize=True, one_hot_label=True)
