"""The bad-input corpus for online enrollment events (enroll-ca, enroll-local): each refused
when the topology loads, in one line naming the file and the event's line, exit 2, no run
folder, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.badinput.load_refusals import refused_at_load

TOPOLOGY = (Path(__file__).parents[2] / "topologies" / "enroll-figure4.yaml").read_text()
BASE = TOPOLOGY[:TOPOLOGY.index("events:")]
LOCAL = ("device: Host-A, certificate-id: Host-A, ca-profile: Dev-CA, "
         "challenge-password: example, subject: 'CN=Host-A', domain-name: a.example.net")

HOST_B = ("device: Host-B, certificate-id: Host-B, ca-profile: Sales-CA, "
          "challenge-password: example, subject: 'CN=Host-B', domain-name: b.example.net")


@pytest.mark.parametrize(("event", "fragments"), [
    ("{at: 0s, enroll-ca: {device: Host-C, ca-profile: Root-CA}}",
     ("events.enroll-ca.device: no device named 'Host-C'",)),
    ("{at: 0s, enroll-ca: {device: Host-A}}", ("events.enroll-ca: ca-profile is missing",)),
    ("{at: 0s, enroll-ca: {device: Host-A, ca-profile: Sales-CA}}",
     ("events.enroll-ca.ca-profile: Host-A has no ca-profile 'Sales-CA'",)),
    ("{at: 0s, enroll-ca: {device: Host-A, ca-profile: Root-CA, answer: no}}",
     ("events.enroll-ca.answer: unknown argument (expected one of ca-profile, device)",)),
    ("{at: 0s, enroll-ca: {device: Host-A, ca-profile: [Root-CA]}}",
     ("events.enroll-ca.ca-profile: ['Root-CA']: expected one word of printable text",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL}, key-size: 1000}}}}",
     ("events.enroll-local.key-size: 1000: an RSA key pair is 512, 1024, 2048, 4096 bits",)),
    ("{at: 0s, enroll-local: {device: Host-A, certificate-id: Host-A, ca-profile: Dev-CA, "
     "subject: 'CN=Host-A', domain-name: a.example.net}}",
     ("events.enroll-local: challenge-password is missing",)),
    # Host-B enrolls Host-B first; Host-A may not take the name (the CA names it).
    (f"{{at: 0s, enroll-local: {{{HOST_B}}}}}\n"
     f"  - {{at: 0s, enroll-local: {{{LOCAL.replace('id: Host-A', 'id: Host-B')}}}}}",
     ("events.enroll-local.certificate-id: Host-B is already Host-B's",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL.replace('id: Host-A', 'id: Dev-CA')}}}}}",
     ("events.enroll-local.certificate-id: Dev-CA is already a CA's name",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL.replace('id: Host-A', 'id: ../x')}}}}}",
     ("events.enroll-local.certificate-id:",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL.replace('CN=Host-A', 'XY=Host-A')}}}}}",
     ("events.enroll-local.subject:",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL.replace(', domain-name: a.example.net', '')}}}}}",
     ("events.enroll-local: one of domain-name, ip-address or email is required",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL}, ip-address: 300.1.1.1}}}}",
     ("events.enroll-local.ip-address: '300.1.1.1' is not an IPv4 address",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL.replace('password: example', 'password: ')}}}}}",
     ("events.enroll-local: challenge-password is missing",)),
    (f"{{at: 0s, enroll-local: {{{LOCAL.replace('password: example', 'password: [a]')}}}}}",
     ("events.enroll-local.challenge-password: ['a']: expected printable text of 1..255 "
      "characters",)),
])
def test_an_enrollment_event_that_cannot_happen_is_refused_at_load(ikesim, tmp_path, event,
                                                                    fragments):
    _refused(ikesim, tmp_path, BASE, event, *fragments)


def test_a_profile_without_an_enrollment_url_is_refused(ikesim, tmp_path):
    base = BASE.replace("      set security pki ca-profile Eng-CA enrollment url "
                        "http://10.157.88.230:8080/scep/Eng/\n", "")
    _refused(ikesim, tmp_path, base, "{at: 0s, enroll-ca: {device: Host-A, ca-profile: Eng-CA}}",
             "events.enroll-ca.ca-profile: Host-A's ca-profile Eng-CA has no enrollment url")


def test_a_url_no_scep_ca_answers_is_refused(ikesim, tmp_path):
    base = BASE.replace("enrollment url http://10.157.88.230:8080/scep/Eng/",
                        "enrollment url http://10.157.88.230:8080/scep/Nowhere/")
    _refused(ikesim, tmp_path, base, "{at: 0s, enroll-ca: {device: Host-A, ca-profile: Eng-CA}}",
             "events.enroll-ca.ca-profile: no CA's scep entry answers Host-A's ca-profile "
             "Eng-CA enrollment url 'http://10.157.88.230:8080/scep/")


def test_a_certificate_id_with_an_ecdsa_key_is_refused(ikesim, tmp_path):
    base = BASE.replace("  Host-A:\n    address: 30.1.1.31\n",
                        "  Host-A:\n    address: 30.1.1.31\n"
                        "    enroll: [{certificate-id: Host-A-ec, ca: Dev-CA, key: ecdsa-256, "
                        "subject: 'CN=Host-A', ip-address: 30.1.1.31}]\n")
    event = LOCAL.replace("id: Host-A", "id: Host-A-ec")
    _refused(ikesim, tmp_path, base, f"{{at: 0s, enroll-local: {{{event}}}}}",
             "events.enroll-local.certificate-id: Host-A-ec's key pair is ECDSA-256; SCEP "
             "enrolls RSA keys only")


def _refused(ikesim, tmp_path: Path, base: str, event: str, *fragments: str) -> str:
    return refused_at_load(ikesim, tmp_path, f"{base}events:\n  - {event}\n", *fragments)


# -- the work auto-re-enrollment schedules by itself, bounded before the run ----------------

YEAR = (Path(__file__).parents[2] / "topologies" / "re-enroll-hub-year.yaml").read_text()


def _renewing(percentage: int, duration: str) -> str:
    """re-enroll-hub-year with one-day certificates renewed at `percentage` % remaining."""
    return (YEAR.replace("validity: 90d}}", "validity: 1d}}")
            .replace("re-enroll-trigger-time-percentage 20",
                     f"re-enroll-trigger-time-percentage {percentage}")
            .replace("duration: 365d", f"duration: {duration}"))


def test_auto_re_enrollment_that_would_renew_too_often_is_refused_at_duration(ikesim,
                                                                              tmp_path):
    text = _renewing(99, "365d")  # every 14.4 minutes, for a year, on four devices
    (tmp_path / "t.yaml").write_text(text)
    line = text.splitlines().index("duration: 365d") + 1
    before = files_under(tmp_path)
    assert_refused(ikesim("run", "t.yaml"), f"t.yaml line {line}: duration: auto-re-enrollment "
                   "can re-enroll about 146,004 times in this run, at most 20,000 (most: "
                   "36,501, Hub certificate-id hub); shorten the duration, lengthen the CA's "
                   "scep validity or lower re-enroll-trigger-time-percentage")
    assert files_under(tmp_path) == before


def test_a_longer_run_by_until_is_checked_again(ikesim, tmp_path):
    (tmp_path / "t.yaml").write_text(_renewing(90, "1d").replace(
        "events:\n", "events: []\nunused:\n").split("unused:\n")[0])
    assert ikesim("run", "t.yaml", "--until", "1h").code == 0
    assert_refused(ikesim("run", "t.yaml", "--until", "1000d"),
                   "--until 1000d: auto-re-enrollment can re-enroll about 40,004 times")
