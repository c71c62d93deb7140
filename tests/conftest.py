"""Fixtures shared by the whole suite: a fixed clock and small, seeded PKIs."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, settings

from pki.hierarchy import FIGURE4_START, CAHierarchy, figure4_specs
from pki.keys import KeySpec, KeyType

# Hypothesis: `make test` runs a bounded, repeatable number of examples (derandomized, so CI
# sees the same inputs every time); IKESIM_FUZZ=long runs many more with fresh randomness.
settings.register_profile("ci", max_examples=200, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("long" if os.environ.get("IKESIM_FUZZ") == "long" else "ci")

# P-256 keys keep the suite fast; the guide's RSA sizes are exercised where they matter.
FAST_KEY = KeySpec(type=KeyType.ECDSA, size=256)


@pytest.fixture(scope="session")
def start() -> dt.datetime:
    return FIGURE4_START


@pytest.fixture
def figure4() -> CAHierarchy:
    """The guide's Figure 4 CAs, plus Host-A (from Dev-CA) and Host-B (from Sales-CA)."""
    h = CAHierarchy(figure4_specs(key=FAST_KEY), start=FIGURE4_START, seed=1)
    h.issue_end_entity("Dev-CA", "Host-A", key=FAST_KEY,
                       subject="DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US")
    h.issue_end_entity("Sales-CA", "Host-B", key=FAST_KEY,
                       subject="DC=example,CN=Host-B,OU=SALES,O=PKI,L=Sunnyvale,ST=CA,C=US")
    return h
