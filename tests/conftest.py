import importlib.util
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference"
PARITY = SHARED / "tools" / "parity.py"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    assert REFERENCE.is_dir(), f"the reference scenarios are expected at {REFERENCE}"
    return REFERENCE


@cache
def parity():
    """shared/tools/parity.py as a module: `parity().compare(ours, reference)` is THE definition of equal."""
    spec = importlib.util.spec_from_file_location("parity", PARITY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
