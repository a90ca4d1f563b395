"""Every test here runs once per backend: the interpreter (NumPy itself, the oracle:
bit-exact) and each compiled backend (within the tolerances of weldish.testing).
``WELDISH_TEST_BACKENDS=interp,llvm`` narrows the list (default: all available)."""
import os

import pytest

import weldish
from weldish import backends

_ASKED = os.environ.get("WELDISH_TEST_BACKENDS")
BACKENDS = [b for b in backends.available() if not _ASKED or b in _ASKED.split(",")]


@pytest.fixture(autouse=True, params=BACKENDS)
def backend(request):
    with weldish.config(backend=request.param):
        yield request.param
