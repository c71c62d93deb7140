"""The bad-input corpus for manual-enrollment events (generate-request, issue, load-local):
each refused when the topology loads, in one line naming the file and the event's line, exit 2,
no run folder, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.load_refusals import refused_at_load

TOPOLOGY = (Path(__file__).parents[2] / "topologies" / "manual-enroll.yaml").read_text()
BASE = TOPOLOGY[:TOPOLOGY.index("events:")]
REQUEST = ("{at: 1m, generate-request: {device: Host-B, certificate-id: Host-B, "
           "subject: CN=Host-B, ip-address: 30.1.1.51, filename: Host-B.req}}")
ISSUE = "{at: 1d, issue: {ca: Corp-CA, device: Host-B, certificate-id: Host-B}}"


def _refused(ikesim, tmp_path: Path, events: list[str], *fragments: str) -> str:
    """The last of `events` is the one refused."""
    text = f"{BASE}events:\n" + "".join(f"  - {event}\n" for event in events)
    return refused_at_load(ikesim, tmp_path, text, *fragments)


@pytest.mark.parametrize(("events", "fragment"), [
    ([ISSUE], "events.issue: no earlier generate-request of certificate-id Host-B on Host-B"),
    ([REQUEST, ISSUE.replace("1d", "1s")],
     "events.issue: no earlier generate-request of certificate-id Host-B on Host-B"),
    ([REQUEST.replace("Host-B, subject", "Host-A, subject").replace("device: Host-B",
                                                                   "device: Host-A"),
      ISSUE.replace("Host-B", "Host-A")],
     "events.issue: certificate-id Host-A is already issued (to Host-A); the hierarchy names "
     "certificates by certificate-id"),
    ([REQUEST, ISSUE, ISSUE.replace("1d", "2d")],
     "events.issue: certificate-id Host-B is already issued (to Host-B)"),
    ([REQUEST, "{at: 1d, load-local: {device: Host-B, certificate-id: Host-B, filename: "
               "Host-B.cert}}"],
     "events.load-local: no earlier event writes 'Host-B.cert' on Host-B"),
    ([REQUEST, ISSUE, "{at: 1d, load-local: {device: Host-A, certificate-id: Host-B, filename: "
                      "Host-B.cert}}"],
     "events.load-local: no earlier event writes 'Host-B.cert' on Host-A"),
], ids=["issue-without-request", "issue-before-request", "issue-enrolled-id",
        "issue-twice", "load-before-issue", "load-on-other-device"])
def test_events_out_of_order_are_refused(ikesim, tmp_path, events, fragment):
    _refused(ikesim, tmp_path, events, fragment)


@pytest.mark.parametrize(("event", "fragment"), [
    (REQUEST.replace("Host-B.req", "../../etc/passwd"),
     "events.generate-request.filename: filename '../../etc/passwd'"),
    (REQUEST.replace("Host-B.req", "'..'"), "events.generate-request.filename: filename '..'"),
    (REQUEST.replace("Host-B.req", "/tmp/x.req"), "events.generate-request.filename"),
    (REQUEST.replace("certificate-id: Host-B", "certificate-id: 'a/b'"),
     "events.generate-request.certificate-id: certificate-id 'a/b'"),
    (REQUEST.replace("device: Host-B", "device: SRX-C"),
     "events.generate-request.device: no device named 'SRX-C'"),
    (REQUEST.replace("subject: CN=Host-B, ", ""), "events.generate-request: subject is missing"),
    (REQUEST.replace("subject: CN=Host-B", "subject: 'XX=1'"), "events.generate-request.subject"),
    (REQUEST.replace("ip-address: 30.1.1.51", "ip-address: 30.1.1.510"),
     "events.generate-request.ip-address: '30.1.1.510' is not an IPv4 address"),
    (REQUEST.replace("ip-address: 30.1.1.51, ", ""),
     "events.generate-request: one of domain-name, ip-address or email is required"),
    (REQUEST.replace("filename:", "key: rsa-999, filename:"),
     "events.generate-request.key: key 'rsa-999'"),
    (REQUEST.replace("filename:", "path: x, filename:"),
     "events.generate-request.path: unknown argument (expected one of certificate-id, "
     "device, domain-name, email, filename, ip-address, key, subject)"),
    (REQUEST.replace("filename:", "email: \"a\\x1bb@example.net\", filename:"),
     "events.generate-request.email: expected printable text"),
    ("{at: 1d, issue: {ca: Nobody-CA, device: Host-B, certificate-id: Host-B}}",
     "events.issue.ca: no CA named 'Nobody-CA'"),
    ("{at: 1d, issue: {ca: Corp-CA, device: Host-B, certificate-id: Host-B, validity: 1h}}",
     "events.issue.validity: '1h' is shorter than a day (1d)"),
    ("{at: 1d, issue: {ca: Corp-CA, device: Host-B}}", "events.issue: certificate-id is missing"),
    ("{at: 1d, load-local: {device: Host-B, certificate-id: Host-B, filename: '../Host-A/x'}}",
     "events.load-local.filename: filename '../Host-A/x'"),
], ids=["filename-escapes", "filename-dotdot", "filename-absolute", "cid-path", "no-device",
        "no-subject", "bad-subject", "bad-address", "no-alt-name", "bad-key", "unknown-arg",
        "control-in-email", "no-ca", "short-validity", "no-cid", "load-path"])
def test_bad_arguments_are_refused(ikesim, tmp_path, event, fragment):
    _refused(ikesim, tmp_path, [event], fragment)
