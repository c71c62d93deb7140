"""OCSP end to end: topologies/ocsp-revoked.yaml and ocsp-fallback-crl.yaml, with the exact
pkid and kmd lines, and the run folder's DER files read by openssl."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pki.ocsp import ocsp_urls_of
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.badinput.conftest import files_under
from tests.openssl import needs_openssl
from tests.sim.scenarios import library_run

TOPOLOGIES = Path(__file__).resolve().parents[2] / "topologies"
OPENSSL = shutil.which("openssl")
URL = "http://203.0.113.10/ocsp/corp"


def _run(name: str, folder: Path) -> Scenario:
    return library_run(name, folder)


@pytest.fixture(scope="module")
def revoked(tmp_path_factory) -> Scenario:
    return _run("ocsp-revoked", tmp_path_factory.mktemp("ocsp-revoked"))


@pytest.fixture(scope="module")
def fallback(tmp_path_factory) -> Scenario:
    return _run("ocsp-fallback-crl", tmp_path_factory.mktemp("ocsp-fallback"))


def _pkid(scenario: Scenario, device: str, since: str = "") -> list[str]:
    lines = scenario.devices[device].pkid_log.lines
    return [line[16:] for line in lines if line[7:15] >= since]


def _outcomes(scenario: Scenario) -> list[tuple[str, str, str | None]]:
    return [(n.initiator, n.phase1, n.error) for n in scenario.results.in_order()]


def _serial(scenario: Scenario) -> str:
    return f"{scenario.hierarchy.certificate('branch').serial_number:X}"


def _kmd_failures(scenario: Scenario, device: str) -> list[str]:
    return [line[16:] for line in scenario.devices[device].kmd_log.lines
            if "failed with error" in line]


def test_ocsp_refuses_the_revoked_branch_within_seconds_while_the_crl_says_good(revoked):
    assert _outcomes(revoked) == [("DC", "done", None), ("HQ", "done", None),
                                  ("DC", "done", None),
                                  ("HQ", "failed", "Authentication failed")]
    serial = _serial(revoked)
    # HQ configures no `ocsp url`: the responder comes from the certificate's AIA.
    assert ocsp_urls_of(revoked.hierarchy.certificate("branch")) == (URL,)
    hq = _pkid(revoked, "HQ", since="09:00:00")
    nonce = revoked.devices["HQ"].pkid.ocsp_exchanges[-1]
    assert hq[:4] == [
        f"Start verification of certificate CN = branch, O = Example, C = US (serial {serial})",
        f"OCSP request for certificate serial {serial} (CA profile Corp-CA) to {URL}, nonce "
        f"{_nonce_of(nonce.request)}",
        f"OCSP response from {URL}: certificate serial {serial} revoked on 2014-03-03 "
        "09:00:00 UTC (keyCompromise), responder C = US, "
        "O = Example, CN = Corp-CA, this update 2014-03-03 09:00:05 UTC, next update "
        "2014-03-03 10:00:05 UTC",
        "Path [0] CN = branch, O = Example, C = US",
    ]
    assert hq[-1] == ("Certificate CN = branch, O = Example, C = US verification failed: "
                      f"C=US,O=Example,CN=branch: certificate serial {serial} was revoked on "
                      "2014-03-03 09:00 UTC (keyCompromise)")
    # DC judges by the CRL it downloaded at 10 s: not due for a day, it lists nothing.
    assert _pkid(revoked, "DC", since="09:00:00")[-1] == \
        "Certificate CN = branch, O = Example, C = US verification success"


def test_ocsp_and_crl_revocations_fail_phase1_alike(revoked, fallback):
    """The kmd line of a peer OCSP says is revoked (ocsp-revoked) is the line of a peer the
    CRL says is revoked (ocsp-fallback-crl, after the fallback)."""
    by_ocsp, by_crl = _kmd_failures(revoked, "HQ"), _kmd_failures(fallback, "HQ")
    assert by_ocsp == by_crl == [(
        "Phase-1 [initiator] failed with error(Authentication failed) for "
        "local=ipv4(udp:500,[0..3]=198.51.100.1) remote=ipv4(udp:500,[0..3]=192.0.2.1)")]


def test_each_request_and_response_is_kept_as_der(revoked):
    folder = revoked.out / "ocsp"
    assert sorted(p.name for p in folder.iterdir()) == [
        "0001-HQ-request.ocsp", "0001-HQ-response.ocsp",
        "0002-HQ-request.ocsp", "0002-HQ-response.ocsp"]
    exchanges = revoked.devices["HQ"].pkid.ocsp_exchanges
    assert (folder / "0002-HQ-response.ocsp").read_bytes() == exchanges[1].response


def test_fallback_crl_and_disable_when_the_responder_is_down(fallback):
    assert _outcomes(fallback) == [("DC", "done", None), ("HQ", "done", None),
                                   ("DC", "done", None),
                                   ("HQ", "failed", "Authentication failed")]
    serial, url = _serial(fallback), "http://203.0.113.20/ocsp/corp"
    hq = _pkid(fallback, "HQ", since="08:40:00")
    assert hq[2:7] == [
        f"OCSP request to {url} failed: connection timed out",
        "No OCSP response for CA profile Corp-CA; checking the CRL instead "
        "(connection-failure fallback-crl)",
        "CRL for CA profile Corp-CA is not loaded or due; trying http://203.0.113.10/corp.crl",
        "Start downloading CRL for CA profile Corp-CA from http://203.0.113.10/corp.crl",
        "CRL for CA profile Corp-CA loaded from http://203.0.113.10/corp.crl, 1 revoked, "
        "next refresh 03-04-2014 08:30",
    ]
    assert hq[-1].endswith(f"certificate serial {serial} was revoked on 2014-03-03 08:30 UTC "
                           "(keyCompromise)")
    dc = _pkid(fallback, "DC", since="08:40:00")
    assert dc[2:4] == [
        f"OCSP request to {url} failed: connection timed out",
        "No OCSP response for CA profile Corp-CA; revocation check skipped "
        "(connection-failure disable)"]
    assert dc[-1] == "Certificate CN = branch, O = Example, C = US verification success"
    requests = fallback.results_json()["ocsp_requests"]
    assert [(r["number"], r["device"], r["answered"], r["reason"]) for r in requests] == [
        (1, "HQ", True, None), (2, "DC", True, None),
        (3, "HQ", False, "connection timed out"), (4, "DC", False, "connection timed out")]
    assert requests[2]["finished_s"] - requests[2]["started_s"] == pytest.approx(5.0)


def test_the_delegated_responder_signs_before_the_outage(fallback):
    hq = _pkid(fallback, "HQ", since="08:00:00")
    assert hq[2] == (f"OCSP response from http://203.0.113.20/ocsp/corp: certificate serial "
                     f"{_serial(fallback)} good, responder C = US, O = Example, CN = Corp-CA, "
                     "OU = OCSP Responder, this update 2014-03-03 08:00:10 UTC, next update "
                     "2014-03-03 09:00:10 UTC")
    assert hq[3] == ("OCSP responder certificate C = US, O = Example, CN = Corp-CA, "
                     "OU = OCSP Responder: revocation not checked (it carries ocsp-nocheck)")
    names = sorted(p.name for p in (fallback.out / "ocsp").iterdir())
    # Numbered as they started (HQ's Phase-1 reached pkid first); no answer, no response file.
    assert names == ["0001-HQ-request.ocsp", "0001-HQ-response.ocsp",
                     "0002-DC-request.ocsp", "0002-DC-response.ocsp",
                     "0003-HQ-request.ocsp", "0004-DC-request.ocsp",
                     "Corp-CA-responder.pem"]


def _nonce_of(request: bytes) -> str:
    from cryptography import x509
    from cryptography.x509 import ocsp
    ext = ocsp.load_der_ocsp_request(request).extensions
    return ext.get_extension_for_class(x509.OCSPNonce).value.nonce.hex()


# -- openssl reads what the run folder keeps ------------------------------------------------


def _openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], capture_output=True, text=True, check=False)


@needs_openssl
@pytest.mark.parametrize("which", ["revoked", "fallback"])
def test_openssl_parses_and_verifies_the_responses(which, request):
    scenario = request.getfixturevalue(which)
    folder, ca = scenario.out / "ocsp", str(scenario.out / "pki" / "cas" / "Corp-CA.pem")
    # -attime: the simulated time (openssl checks the certificates' dates there).
    attime = str(int(scenario.world.now().timestamp()) - 60)
    responses = sorted(folder.glob("*-response.ocsp"))
    assert responses
    for response in responses:
        text = _openssl("ocsp", "-respin", str(response), "-resp_text", "-noverify")
        assert text.returncode == 0, text.stderr
        assert "OCSP Response Status: successful (0x0)" in text.stdout
        checked = _openssl("ocsp", "-respin", str(response), "-CAfile", ca, "-issuer", ca,
                           "-attime", attime)
        assert checked.returncode == 0 and "Response verify OK" in checked.stderr, \
            checked.stderr
    last = _openssl("ocsp", "-respin", str(responses[-1]), "-resp_text", "-noverify").stdout
    assert ("Cert Status: revoked" in last) is (which == "revoked")
    for request_file in folder.glob("*-request.ocsp"):
        text = _openssl("ocsp", "-reqin", str(request_file), "-req_text")
        assert text.returncode == 0 and "OCSP Nonce" in text.stdout, text.stderr


@needs_openssl
def test_a_tampered_response_does_not_verify(revoked, tmp_path):
    """The interop check can fail: one flipped signature bit and openssl refuses."""
    data = bytearray((revoked.out / "ocsp" / "0001-HQ-response.ocsp").read_bytes())
    data[-3] ^= 1
    (tmp_path / "bad.ocsp").write_bytes(bytes(data))
    ca = str(revoked.out / "pki" / "cas" / "Corp-CA.pem")
    checked = _openssl("ocsp", "-respin", str(tmp_path / "bad.ocsp"), "-CAfile", ca,
                       "-issuer", ca, "-attime", str(int(revoked.world.now().timestamp())))
    assert "Response verify OK" not in checked.stderr


def test_the_same_seed_gives_the_same_bytes_another_seed_other_nonces(tmp_path):
    """Two processes with different hash seeds write the same run folder, OCSP files and
    responder certificate included; another --seed draws other nonces."""
    topology = TOPOLOGIES / "ocsp-fallback-crl.yaml"
    root = Path(__file__).resolve().parents[2]
    runs = {}
    for run, hash_seed, seed in (("a", "2", "1"), ("b", "9001", "1"), ("c", "2", "5")):
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": hash_seed}
        runs[run] = subprocess.Popen(
            [sys.executable, "-m", "sim", "run", str(topology), "--quiet", "--seed", seed,
             "--out", str(tmp_path / run)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for process in runs.values():
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    a, b = files_under(tmp_path / "a"), files_under(tmp_path / "b")
    assert sorted(a) == sorted(b) and [f for f in a if a[f] != b[f]] == []
    assert "ocsp/0001-HQ-response.ocsp" in a and "ocsp/Corp-CA-responder.pem" in a
    other = files_under(tmp_path / "c")
    assert other["ocsp/0001-HQ-request.ocsp"] != a["ocsp/0001-HQ-request.ocsp"]


def test_a_delegated_responder_without_nocheck_is_checked_against_the_crl(tmp_path):
    """Without ocsp-nocheck, HQ checks the responder's own certificate against Corp-CA's CRL
    before it believes the answer (RFC 6960 4.2.2.2.1)."""
    text = (TOPOLOGIES / "ocsp-fallback-crl.yaml").read_text()
    assert "nocheck: true" in text
    topology = parse_topology(text.replace("nocheck: true", "nocheck: false"), source="t.yaml")
    scenario = Scenario.build(topology, out=tmp_path)
    scenario.run(until=20)
    assert [(n.initiator, n.phase1) for n in scenario.results.in_order()] == [
        ("DC", "done"), ("HQ", "done")]
    hq = _pkid(scenario, "HQ")
    assert hq[3:6] == [
        "CRL for CA profile Corp-CA is not loaded or due; trying http://203.0.113.10/corp.crl",
        "Start downloading CRL for CA profile Corp-CA from http://203.0.113.10/corp.crl",
        "CRL for CA profile Corp-CA loaded from http://203.0.113.10/corp.crl, 0 revoked, "
        "next refresh 03-04-2014 08:00"]
    assert hq[-1] == "Certificate CN = branch, O = Example, C = US verification success"
    # DC's profile differs only in connection-failure: it checks the responder alike.
    dc = _pkid(scenario, "DC")
    assert "Start downloading CRL for CA profile Corp-CA from http://203.0.113.10/corp.crl" in dc


@pytest.mark.parametrize("offset, problem", [
    ("2h", "OCSP response expired at 2014-03-03 09:00:10 UTC (nextUpdate)"),
    ("-10m", "OCSP response is not valid before 2014-03-03 08:00:10 UTC (thisUpdate)"),
])
def test_a_device_clock_off_by_more_than_the_window_refuses_the_answer(tmp_path, offset,
                                                                       problem):
    """The responder signs at the true time; HQ judges at its own clock."""
    text = (TOPOLOGIES / "ocsp-revoked.yaml").read_text()
    events = "events:\n"
    assert text.count(events) == 1
    clock = f"events:\n  - {{at: 1s, clock: {{device: HQ, offset: {offset}}}}}\n"
    scenario = Scenario.build(parse_topology(text.replace(events, clock), source="t.yaml"),
                              out=tmp_path)
    scenario.run(until=20)
    hq = next(n for n in scenario.results.in_order() if n.initiator == "HQ")
    assert (hq.phase1, hq.error) == ("failed", "Authentication failed")
    refused = [line[16:] for line in scenario.devices["HQ"].pkid_log.lines
               if "refused: " in line and line[16:].startswith("OCSP response from")]
    assert refused == [f"OCSP response from {URL} for certificate serial {_serial(scenario)} "
                       f"refused: {problem}"]
