"""Shared pytest setup: make ``s5trainer`` importable and expose small fixtures."""
import sys
from pathlib import Path

import numpy as np
import pytest

TRAINER = Path(__file__).resolve().parents[1]
REPO = TRAINER.parent
if str(TRAINER) not in sys.path:
    sys.path.insert(0, str(TRAINER))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
