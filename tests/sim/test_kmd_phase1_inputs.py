"""kmd builds a gateway's Phase-1 inputs (local certificate, key, chain) once and keeps them
while its configuration and certificate store stay the same: a certificate renewed between two
negotiations is the one the next negotiation sends."""

from __future__ import annotations

import re

from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.enroll_scenarios import enroll_topology
from tests.sim.test_re_enroll_scenarios import ENROLLED, RENEW

# Before the trigger (Mar 8 09:00: sim.test_re_enroll_scenarios), and after it.
TWICE = ("  - {at: 1d, initiate: {device: Host-A, gateway: gw}}\n"
         "  - {at: 8d1h, initiate: {device: Host-A, gateway: gw}}")
SERIAL = re.compile(r"Start verification of certificate CN = Host-A.*\(serial ([0-9A-F]+)\)")


def test_a_certificate_renewed_between_two_negotiations_is_sent_in_the_next(tmp_path):
    text = enroll_topology(events=TWICE, a_devices=ENROLLED, duration="9d",
                           scep_a="challenge-password: s3cret, validity: 10d", a_extra=RENEW)
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")
    scenario.run(until=86400 + 60)
    first = scenario.devices["Host-A"].pki.store.local_certificates["Host-A"]
    scenario.run()
    renewed = scenario.devices["Host-A"].pki.store.local_certificates["Host-A"]
    assert renewed.serial_number != first.serial_number
    # What Host-B's pkid was asked to verify: the certificates Host-A sent, in order.
    sent = [SERIAL.search(line) for line in scenario.devices["Host-B"].pkid_log.lines]
    serials = [int(m.group(1), 16) for m in sent if m]
    assert serials[0] == first.serial_number
    assert serials[-1] == renewed.serial_number
    outcomes = [n.phase1 for n in scenario.results.in_order()]
    assert outcomes[0] == outcomes[-1] == "done"
