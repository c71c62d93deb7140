"""What an OCSP responder sends is hostile until checked: truncated, of the wrong kind, huge or
empty, each answer is one pkid line and a failed check (HQ has no connection-failure), and
the device goes on answering."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from pki.ocsp import RESPONSE_MAX_BYTES
from sim.scenario import Scenario
from sim.topology import load_topology
from sim.world.ocsp_server import OcspResponders

TOPOLOGY = Path(__file__).resolve().parents[2] / "topologies" / "ocsp-revoked.yaml"
URL = "http://203.0.113.10/ocsp/corp"


def _hostile(kind: str, scenario: Scenario):
    def answer(request: bytes, at) -> bytes:
        if kind == "truncated":  # an OCSPResponse header promising 256 bytes, then nothing
            return b"\x30\x82\x01\x00\x0a\x01\x00\xa0"
        if kind == "certificate":
            return scenario.hierarchy.certificate("Corp-CA").public_bytes(Encoding.DER)
        if kind == "huge":
            return b"\x30" * (RESPONSE_MAX_BYTES * 4)
        if kind == "control":
            return b"\x1b[2J\nforged line\r"
        return b""
    return answer


@pytest.mark.parametrize("kind, problem", [
    ("truncated", "OCSP response cannot be parsed ("),
    ("certificate", "OCSP response cannot be parsed ("),
    ("huge", f"OCSP response of {RESPONSE_MAX_BYTES + 1:,} bytes is over the "
             f"{RESPONSE_MAX_BYTES:,}-byte limit"),
    ("control", "OCSP response cannot be parsed ("),
    ("empty", "OCSP response cannot be parsed ("),
])
def test_hostile_response_is_one_line_and_a_failed_check(tmp_path, kind, problem):
    scenario = Scenario.build(load_topology(TOPOLOGY), out=tmp_path)
    hostile = OcspResponders(scenario.world.env, clock=scenario.world.now,
                             resolve=lambda host: scenario.servers["ca-server"])
    hostile.add(URL, _hostile(kind, scenario))
    scenario.devices["HQ"].pkid.ocsp_transport = hostile.post
    scenario.run(until=20)
    hq, dc = (n for n in sorted(scenario.results.in_order(), key=lambda n: n.initiator,
                                reverse=True))
    assert (hq.initiator, hq.phase1, hq.error) == ("HQ", "failed", "Authentication failed")
    assert (dc.initiator, dc.phase1) == ("DC", "done")
    lines = [line[16:] for line in scenario.devices["HQ"].pkid_log.lines]
    refused = [line for line in lines if line.startswith("OCSP response from")]
    assert len(refused) == 1 and refused[0].startswith(f"OCSP response from {URL} for "
                                                       "certificate serial ")
    assert refused[0].split(" refused: ", 1)[1].startswith(problem)
    assert all(c.isprintable() for line in lines for c in line)
    assert lines[-1].startswith("Certificate CN = branch, O = Example, C = US verification "
                                f"failed: C=US,O=Example,CN=branch: OCSP response refused: "
                                f"{problem}")
