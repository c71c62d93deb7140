"""Automatic re-enrollment in a run: at the trigger (when re-enroll-trigger-time-percentage of
the certificate's lifetime remains) pkid renews the certificate over SCEP with a RenewalReq,
the same DN and subjectAltName, the same key pair or (re-generate-keypair) a new one; the new
certificate is installed, used by the next negotiation and shown with its own next trigger."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from sim.junos.ops import execute
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.openssl import needs_openssl
from tests.sim.enroll_scenarios import A_URL, SUBJECT, enroll_topology
from tests.sim.scenarios import HOST_A
from tests.sim.test_topology_runs import watchdog  # noqa: F401 (a fixture: a run that ends)

TID = re.compile(r"[0-9A-F]{64}")
# Host-A's first certificate: Feb 28 09:00 (a day before the start) to Mar 10 09:00; 20 % of
# its 10 days remain on Mar 8 09:00.
ENROLLED = (f"    enroll: [{{certificate-id: Host-A, ca: CA-A, key: rsa-1024, validity: 10d, "
            f"subject: \"{SUBJECT}\", ip-address: {HOST_A}, "
            "domain-name: host-a.example.net}]")
RENEW = ("set security pki auto-re-enrollment certificate-id Host-A ca-profile-name CA-A "
         "challenge-password s3cret re-enroll-trigger-time-percentage 20")
INITIATE = "  - {at: 8d1h, initiate: {device: Host-A, gateway: gw}}"


def build(tmp_path: Path, *, regenerate: bool = False) -> Scenario:
    text = enroll_topology(events=INITIATE, a_devices=ENROLLED, duration="9d",
                           scep_a="challenge-password: s3cret, validity: 10d",
                           a_extra=RENEW + (" re-generate-keypair" if regenerate else ""))
    return Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")


def certificate(scenario: Scenario) -> x509.Certificate:
    return scenario.devices["Host-A"].pki.store.local_certificates["Host-A"]


def san(cert: x509.Certificate) -> x509.SubjectAlternativeName:
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value


def trigger_lines(scenario: Scenario) -> list[str]:
    return [TID.sub("TID", line) for line in scenario.devices["Host-A"].pkid_log.lines
            if line.startswith("Mar  8 09:00:00")]


def detail_tail(scenario: Scenario) -> list[str]:
    outcome = execute(scenario.devices["Host-A"].snapshot(),
                      "show security pki local-certificate certificate-id Host-A detail")
    assert not outcome.error, outcome.output
    return outcome.output.splitlines()[-3:]


@pytest.fixture(scope="module", params=[False, True], ids=["same-key", "re-generate-keypair"])
def renewed(request, tmp_path_factory):
    """(scenario, the certificate before the trigger, shown before, the key before)"""
    scenario = build(tmp_path_factory.mktemp("renew"), regenerate=request.param)
    scenario.run(until=7 * 86400 - 1)  # a second before the trigger
    before, key = certificate(scenario), scenario.devices["Host-A"].pki.store.key_pairs["Host-A"]
    shown = detail_tail(scenario)
    scenario.run()
    scenario.write()
    return scenario, before, shown, key, request.param


def test_the_timer_runs_to_the_trigger_of_the_certificate_in_use(renewed):
    _, _, shown, _, _ = renewed
    assert shown == ["  Auto-re-enrollment:", "    Status: Enabled",
                     "    Next trigger time: 03- 8-2013 09:00"]


def test_at_the_trigger_pkid_renews_the_certificate_with_a_renewal_request(renewed):
    scenario, before, _, _, _ = renewed
    after = certificate(scenario)
    serial = f"{after.serial_number:X}"
    assert trigger_lines(scenario) == [
        "Mar  8 09:00:00 Auto-re-enrollment of local certificate Host-A: 20% of its lifetime "
        "remains (trigger 2013-03-08 09:00:00)",
        f"Mar  8 09:00:00 Start re-enrollment of local certificate Host-A from CA profile CA-A "
        f"at {A_URL}",
        "Mar  8 09:00:00 Sent RenewalReq for Host-A to CA profile CA-A, transaction ID TID",
        "Mar  8 09:00:00 Received local certificate Host-A from CA profile CA-A: subject "
        f"{SUBJECT}, serial {serial}",
        f"Mar  8 09:00:00 Local certificate Host-A installed: serial {serial}, valid until "
        "2013-03-18 09:00:00",
    ]
    assert after.serial_number != before.serial_number
    (record,) = scenario.enrollments.records
    assert (record.kind, record.outcome, record.serial, record.started) == (
        "re-enrollment", "issued", serial, 7 * 86400.0)
    assert sorted(p.name for p in (scenario.out / "scep").iterdir()) == [
        "0001-Host-A-RenewalReq.p7", "0002-Host-A-CertRep.p7"]


def test_the_new_certificate_is_from_the_same_ca_with_the_same_names(renewed):
    scenario, before, _, _, _ = renewed
    after = certificate(scenario)
    ca_a = scenario.hierarchy.certificate("CA-A")
    after.verify_directly_issued_by(ca_a)
    assert (after.issuer, after.subject, san(after)) == (before.issuer, before.subject,
                                                          san(before))


def test_the_key_pair_is_kept_unless_re_generate_keypair(renewed):
    scenario, before, _, old_key, regenerate = renewed
    after = certificate(scenario)
    key = scenario.devices["Host-A"].pki.store.key_pairs["Host-A"]
    assert after.public_key() == key.public_key()
    if regenerate:
        assert after.public_key() != before.public_key()
        assert key.public_key() != old_key.public_key() and key.key_size == 1024
    else:
        assert after.public_key() == before.public_key() and key is old_key


def test_the_next_negotiation_uses_the_new_certificate(renewed):
    scenario, _, _, _, _ = renewed
    after = certificate(scenario)
    (negotiation,) = scenario.results.in_order()
    assert (negotiation.phase1, negotiation.error) == ("done", None)
    assert any(f"(serial {after.serial_number:X})" in line
               for line in scenario.devices["Host-B"].pkid_log.lines)


def test_show_gives_the_next_trigger_of_the_new_certificate(renewed):
    scenario, _, _, _, _ = renewed
    # Mar 8 09:00 to Mar 18 09:00: 20 % remain on Mar 16.
    assert detail_tail(scenario) == ["  Auto-re-enrollment:", "    Status: Enabled",
                                     "    Next trigger time: 03-16-2013 09:00"]


@pytest.mark.usefixtures("watchdog")
def test_a_device_clock_ahead_of_the_ca_renews_once_and_stops_the_timer(tmp_path):
    # Host-A's clock is 30 days ahead: its certificate's trigger has passed at the start. It
    # renews at once; the new certificate, dated by the CA's clock, is past its own trigger
    # on Host-A's clock too: the timer stops instead of renewing again and again.
    text = enroll_topology(events="  []", duration="1h",
                           a_devices=ENROLLED + "\n    clock-offset: 30d",
                           scep_a="challenge-password: s3cret, validity: 10d", a_extra=RENEW)
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")
    scenario.run()
    assert [(r.kind, r.outcome) for r in scenario.enrollments.records] == [
        ("re-enrollment", "issued")]
    assert scenario.devices["Host-A"].pkid_log.lines[-1][16:] == (
        "Auto-re-enrollment of local certificate Host-A: the trigger of the new certificate "
        "(2013-03-09 09:00:00) has passed already; timer not started")


@needs_openssl
def test_the_renewal_request_is_signed_with_the_certificate_it_renews(renewed, tmp_path):
    scenario, before, _, _, _ = renewed
    signer = tmp_path / "signer.pem"
    done = subprocess.run(["openssl", "cms", "-verify", "-noverify", "-inform", "DER", "-in",
                           str(scenario.out / "scep" / "0001-Host-A-RenewalReq.p7"),
                           "-signer", str(signer), "-out", os.devnull],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "Verification successful" in done.stderr, done.stderr
    assert x509.load_pem_x509_certificate(signer.read_bytes()) == before
