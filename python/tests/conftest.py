"""Shared helpers: the corpus generator module (its cases feed the round-trip test too)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"


def _load_generator():
    spec = importlib.util.spec_from_file_location("amber_vectors_generate", VECTORS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()


@pytest.fixture(scope="session")
def generator():
    return GENERATOR
