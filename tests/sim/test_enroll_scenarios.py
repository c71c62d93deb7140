"""Online enrollment in a run (enroll-ca and enroll-local events over SCEP): the pkid lines of
each step with the device's clock, polling every retry-interval, giving up after `retry`, a CA
that does not answer, the certificate installed and used by the next negotiation, and
results.json's record of each enrollment. Real SCEP messages to a real SCEP CA; the run's
time passes in SimPy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pki.csr import colon_hex
from pki.names import parse_subject
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.enroll_scenarios import A_URL, ENROLL_A, ROOT_URL, SUBJECT, enroll_topology

TID = re.compile(r"[0-9A-F]{64}")
INITIATE = "  - {at: 5m, initiate: {device: Host-A, gateway: gw}}"


def run(tmp_path: Path, *, events: str, **kw) -> Scenario:
    scenario = Scenario.build(parse_topology(enroll_topology(events=events, **kw),
                                             source="t.yaml"), out=tmp_path / "run")
    scenario.run()
    scenario.write()
    return scenario


def enrollment_lines(scenario: Scenario, device: str = "Host-A") -> list[str]:
    """The pkid log's lines about SCEP enrollment, each with its timestamp, the transaction ID
    replaced by TID (the SHA-256 of the key: the same every run, but not the point here)."""
    words = ("nroll", "PENDING", "No answer", "Sent ", "Received ", "installed", "CA profile")
    return [TID.sub("TID", line) for line in scenario.devices[device].pkid_log.lines
            if any(w in line for w in words)
            and not any(w in line for w in ("CRL", "Dynamic", "Path ["))]


def local(scenario: Scenario, cid: str = "Host-A") -> x509.Certificate:
    return scenario.devices["Host-A"].pki.store.local_certificates[cid]


def test_an_enrollment_logs_each_step_installs_the_certificate_and_the_tunnel_uses_it(tmp_path):
    scenario = run(tmp_path, events=f"  - {{at: 10s, enroll-local: {ENROLL_A}}}\n{INITIATE}")
    cert = local(scenario)
    assert enrollment_lines(scenario) == [
        f"Mar  1 09:00:10 Start enrollment of local certificate Host-A from CA profile CA-A at "
        f"{A_URL}",
        "Mar  1 09:00:10 Sent PKCSReq for Host-A to CA profile CA-A, transaction ID TID",
        "Mar  1 09:00:10 Received local certificate Host-A from CA profile CA-A: subject "
        f"{SUBJECT}, serial {cert.serial_number:X}",
        f"Mar  1 09:00:10 Local certificate Host-A installed: serial {cert.serial_number:X}, "
        "valid until 2018-01-29 09:00:00",
    ]
    ca_a = scenario.hierarchy.certificate("CA-A")
    assert cert.issuer == ca_a.subject
    cert.verify_directly_issued_by(ca_a)  # signed by CA-A's key
    assert cert.subject == parse_subject(SUBJECT)
    # The key pair the device generated (RSA-1024, enroll-local's default) is the certificate's.
    key = scenario.devices["Host-A"].pki.store.key_pairs["Host-A"]
    assert (key.key_size, key.public_key()) == (1024, cert.public_key())
    (negotiation,) = scenario.results.in_order()
    assert (negotiation.phase1, negotiation.error) == ("done", None)
    # Host-B's pkid checked the certificate CA-A had just issued.
    assert any(f"Start verification of certificate CN = Host-A, OU = Branch, O = Test, C = US "
               f"(serial {cert.serial_number:X})" in line
               for line in scenario.devices["Host-B"].pkid_log.lines)


def test_a_pending_answer_is_polled_every_retry_interval_until_issued(tmp_path):
    scenario = run(tmp_path, events=f"  - {{at: 10s, enroll-local: {ENROLL_A}}}\n{INITIATE}",
                   scep_a="challenge-password: s3cret, pending-polls: 2",
                   enrollment="retry 3,retry-interval 60")
    serial = f"{local(scenario).serial_number:X}"
    assert enrollment_lines(scenario)[1:] == [
        "Mar  1 09:00:10 Sent PKCSReq for Host-A to CA profile CA-A, transaction ID TID",
        "Mar  1 09:00:10 CA profile CA-A answered PENDING for Host-A, transaction ID TID",
        "Mar  1 09:00:10 Enrollment of Host-A from CA profile CA-A: poll 1 of 3 in 60 seconds, "
        "at 2013-03-01 09:01:10",
        "Mar  1 09:01:10 CA profile CA-A answered PENDING for Host-A, transaction ID TID",
        "Mar  1 09:01:10 Enrollment of Host-A from CA profile CA-A: poll 2 of 3 in 60 seconds, "
        "at 2013-03-01 09:02:10",
        "Mar  1 09:02:10 Received local certificate Host-A from CA profile CA-A: subject "
        f"{SUBJECT}, serial {serial}",
        f"Mar  1 09:02:10 Local certificate Host-A installed: serial {serial}, valid until "
        "2018-01-29 09:00:00",
    ]
    (record,) = json.loads((tmp_path / "run" / "results.json").read_text())["enrollments"]
    assert {k: record[k] for k in ("device", "kind", "ca_profile", "certificate_id", "polls",
                                   "outcome", "serial", "reason")} == {
        "device": "Host-A", "kind": "initial", "ca_profile": "CA-A", "certificate_id": "Host-A",
        "polls": 2, "outcome": "issued", "serial": serial, "reason": None}
    # Each poll waits the retry-interval after the answer before it; each exchange takes the
    # server's 50 ms latency and the messages' transfer time.
    assert record["started_s"] == 10.0 and 130.1 < record["finished_s"] < 130.3


def test_polling_gives_up_after_retry_polls_and_the_negotiation_has_no_certificate(tmp_path):
    scenario = run(tmp_path, events=f"  - {{at: 10s, enroll-local: {ENROLL_A}}}\n{INITIATE}",
                   scep_a="challenge-password: s3cret, pending-polls: 5",
                   enrollment="retry 2,retry-interval 60")
    assert enrollment_lines(scenario)[-2:] == [
        "Mar  1 09:02:10 CA profile CA-A answered PENDING for Host-A, transaction ID TID",
        "Mar  1 09:02:10 Enrollment of local certificate Host-A from CA profile CA-A failed: "
        "gave up, 2 retries done",
    ]
    assert "Host-A" not in scenario.devices["Host-A"].pki.store.local_certificates
    assert any(line.endswith("KMD_INTERNAL_ERROR: cannot initiate gateway gw: local "
                             "certificate Host-A is not loaded")
               for line in scenario.devices["Host-A"].kmd_log.lines)
    (record,) = scenario.enrollments.records
    assert (record.polls, record.outcome, record.reason) == (2, "failed",
                                                             "gave up, 2 retries done")


def test_without_retry_configured_a_pending_answer_fails_at_once(tmp_path):
    scenario = run(tmp_path, events=f"  - {{at: 10s, enroll-local: {ENROLL_A}}}",
                   scep_a="challenge-password: s3cret, pending-polls: 1")
    assert enrollment_lines(scenario)[-1] == (
        "Mar  1 09:00:10 Enrollment of local certificate Host-A from CA profile CA-A failed: "
        "gave up, no retry configured")


def test_a_ca_that_does_not_answer_is_tried_again_every_retry_interval(tmp_path):
    events = "\n".join(["  - {at: 0s, server-down: scep-server}",
                        f"  - {{at: 10s, enroll-local: {ENROLL_A}}}"])
    scenario = run(tmp_path, events=events, enrollment="retry 2,retry-interval 600",
                   duration="1h")
    # Each try waits 30 s for an answer, then retry-interval.
    assert enrollment_lines(scenario)[2:] == [
        f"Mar  1 09:00:40 No answer from CA profile CA-A at {A_URL} for Host-A: connection "
        "timed out",
        "Mar  1 09:00:40 Enrollment of Host-A from CA profile CA-A: resend the request 1 of 2 "
        "in 600 seconds, at 2013-03-01 09:10:40",
        f"Mar  1 09:11:10 No answer from CA profile CA-A at {A_URL} for Host-A: connection "
        "timed out",
        "Mar  1 09:11:10 Enrollment of Host-A from CA profile CA-A: resend the request 2 of 2 "
        "in 600 seconds, at 2013-03-01 09:21:10",
        f"Mar  1 09:21:40 No answer from CA profile CA-A at {A_URL} for Host-A: connection "
        "timed out",
        "Mar  1 09:21:40 Enrollment of local certificate Host-A from CA profile CA-A failed: "
        "gave up, 2 retries done",
    ]


def test_a_ca_back_before_the_last_try_issues_the_certificate(tmp_path):
    events = "\n".join(["  - {at: 0s, server-down: scep-server}",
                        "  - {at: 5m, server-up: scep-server}",
                        f"  - {{at: 10s, enroll-local: {ENROLL_A}}}"])
    scenario = run(tmp_path, events=events, enrollment="retry 2,retry-interval 600",
                   duration="1h")
    assert enrollment_lines(scenario)[-1].startswith(
        "Mar  1 09:10:40 Local certificate Host-A installed: serial ")
    assert scenario.enrollments.records[0].polls == 1


def test_a_wrong_challenge_password_is_refused_by_the_ca(tmp_path):
    scenario = run(tmp_path, events=f"  - {{at: 10s, enroll-local: "
                                    f"{ENROLL_A.replace('s3cret', 'guess')}}}")
    assert enrollment_lines(scenario)[-1] == (
        "Mar  1 09:00:10 Enrollment of local certificate Host-A from CA profile CA-A failed: "
        "CA refused the request (badRequest, wrong challenge password?)")


def test_enroll_ca_loads_the_profiles_ca_certificate_from_its_chain(tmp_path):
    events = "\n".join(["  - {at: 0s, enroll-ca: {device: Host-A, ca-profile: Root-CA}}",
                        "  - {at: 0s, enroll-ca: {device: Host-A, ca-profile: CA-A}}",
                        f"  - {{at: 10s, enroll-local: {ENROLL_A}}}", INITIATE])
    scenario = run(tmp_path, events=events, ca_certificates="{}")
    root, ca_a = (scenario.hierarchy.certificate(n) for n in ("Root-CA", "CA-A"))
    store = scenario.devices["Host-A"].pki.store
    assert (store.ca_certificates["Root-CA"], store.ca_certificates["CA-A"]) == (root, ca_a)
    sha1 = {"Root-CA": colon_hex(root.fingerprint(hashes.SHA1())),
            "CA-A": colon_hex(ca_a.fingerprint(hashes.SHA1()))}
    assert enrollment_lines(scenario)[:6] == [
        f"Mar  1 09:00:00 Start CA certificate enrollment for CA profile Root-CA from "
        f"{ROOT_URL}",
        f"Mar  1 09:00:00 Start CA certificate enrollment for CA profile CA-A from {A_URL}",
        "Mar  1 09:00:00 CA profile Root-CA: received certificate C = US, O = Test, "
        f"CN = Root-CA, fingerprint {sha1['Root-CA']} (sha1)",
        "Mar  1 09:00:00 CA certificate for CA profile Root-CA loaded: C = US, O = Test, "
        "CN = Root-CA",
        # CA-A's GetCACert answer holds its chain: CA-A, then Root-CA; the profile takes CA-A.
        "Mar  1 09:00:00 CA profile CA-A: received certificate C = US, O = Test, CN = CA-A, "
        f"fingerprint {sha1['CA-A']} (sha1)",
        "Mar  1 09:00:00 CA profile CA-A: received certificate C = US, O = Test, "
        f"CN = Root-CA, fingerprint {sha1['Root-CA']} (sha1)",
    ]
    assert [r.outcome for r in scenario.enrollments.records] == ["loaded", "loaded", "issued"]
    assert scenario.results.in_order()[0].phase1 == "done"


def test_enroll_local_without_the_ca_certificate_fails_in_the_pkid_log(tmp_path):
    scenario = run(tmp_path, events=f"  - {{at: 10s, enroll-local: {ENROLL_A}}}",
                   ca_certificates="{Root-CA: Root-CA}")
    assert enrollment_lines(scenario) == [
        "Mar  1 09:00:10 Enrollment of local certificate Host-A from CA profile CA-A failed: "
        "CA certificate for CA profile CA-A is not loaded (request security pki "
        "ca-certificate enroll)"]


def test_enroll_ca_does_not_replace_a_loaded_ca_certificate(tmp_path):
    scenario = run(tmp_path, events="  - {at: 0s, enroll-ca: {device: Host-A, ca-profile: CA-A}}")
    assert enrollment_lines(scenario) == [
        f"Mar  1 09:00:00 Start CA certificate enrollment for CA profile CA-A from {A_URL}",
        "Mar  1 09:00:00 CA certificate enrollment for CA profile CA-A failed: CA certificate "
        "for profile CA-A is already loaded"]
    assert not (scenario.out / "scep").exists()  # nothing was asked of the CA


def test_enroll_ca_from_a_server_that_is_down_fails_after_the_timeout(tmp_path):
    events = "\n".join(["  - {at: 0s, server-down: scep-server}",
                        "  - {at: 0s, enroll-ca: {device: Host-A, ca-profile: CA-A}}"])
    scenario = run(tmp_path, events=events, ca_certificates="{Root-CA: Root-CA}")
    assert enrollment_lines(scenario)[1:] == [
        "Mar  1 09:00:30 CA certificate enrollment for CA profile CA-A failed: connection "
        "timed out"]
    assert "CA-A" not in scenario.devices["Host-A"].pki.store.ca_certificates


def test_a_certificate_enrolled_online_can_be_verified_by_a_later_event(tmp_path):
    events = "\n".join([f"  - {{at: 10s, enroll-local: {ENROLL_A}}}",
                        "  - {at: 20s, verify-local: {device: Host-A, certificate-id: Host-A}}"])
    scenario = run(tmp_path, events=events)
    assert scenario.devices["Host-A"].pkid_log.lines[-1] == (
        "Mar  1 09:00:20 Local certificate Host-A verification success")
