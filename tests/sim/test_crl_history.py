"""Every CRL a CA published during a run stays on disk, and `ikesim pki verify --at scenario`
checks a run's certificate on the run's clock with the CRL then current."""

import datetime as dt
import json

import pytest
from cryptography import x509

import sim.report.crl_history
from sim.cli.main import main
from tests.sim.scenarios import pair

START = dt.datetime(2013, 3, 1, 9, 0, tzinfo=dt.UTC)
EVENTS = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
          "  - {at: 2m, revoke: {ca: CA-B, certificate: Host-B, reason: keyCompromise}}\n")


def _run(tmp_path, monkeypatch, capsys, events=EVENTS, **kw):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(pair(events=events, **kw))
    assert main(["run", "t.yaml", "--out", "run"]) == 0
    capsys.readouterr()
    return tmp_path / "run"


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    return _run(tmp_path, monkeypatch, capsys)


def _crl(path):
    return x509.load_pem_x509_crl(path.read_bytes())


def _host_b_serial(run):
    pem = (run / "pki" / "Host-B" / "local" / "Host-B.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem).serial_number


def test_each_publication_is_kept_in_order_with_its_time(run):
    history = run / "pki" / "cas" / "crls" / "CA-B"
    assert sorted(p.name for p in history.iterdir()) == ["crl-0001.pem", "crl-0002.pem"]
    first, second = _crl(history / "crl-0001.pem"), _crl(history / "crl-0002.pem")
    serial = _host_b_serial(run)
    assert first.get_revoked_certificate_by_serial_number(serial) is None
    assert second.get_revoked_certificate_by_serial_number(serial) is not None
    assert second.last_update_utc == START + dt.timedelta(minutes=2)
    index = json.loads((run / "pki" / "cas" / "crls.json").read_text())
    assert (index["start"], index["end"]) == ("2013-03-01T09:00:00Z", "2013-03-01T09:10:00Z")
    assert [(e["file"], e["published"], e["published_s"], e["crl_number"], e["revoked"])
            for e in index["cas"]["CA-B"]["crls"]] == [
        ("crls/CA-B/crl-0001.pem", "2013-03-01T09:00:00Z", 0.0, 1, 0),
        ("crls/CA-B/crl-0002.pem", "2013-03-01T09:02:00Z", 120.0, 2, 1)]


def test_the_ca_crl_is_the_last_one_published_not_one_signed_at_the_end(run):
    cas = run / "pki" / "cas"
    assert (cas / "CA-B.crl").read_bytes() == (cas / "crls" / "CA-B" / "crl-0002.pem").read_bytes()
    assert _crl(cas / "Root-CA.crl").last_update_utc == START


def _verify(run, at, capsys):
    status = main(["pki", "verify", str(run / "pki" / "Host-B" / "local" / "Host-B.pem"),
                   "--ca", str(run / "pki" / "cas" / "Root-CA.pem"),
                   "--untrusted", str(run / "pki" / "cas" / "CA-B.pem"), "--at", at])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def test_verify_before_the_revocation_uses_the_first_crl(run, capsys):
    status, lines, _ = _verify(run, "scenario+1m30s", capsys)
    assert lines == [
        "Time: 2013-03-01T09:01:30Z (run run, start + 1m30s)",
        "CRL: CA-A pki/cas/crls/CA-A/crl-0001.pem, published 2013-03-01T09:00:00Z (start + 0s)",
        "CRL: CA-B pki/cas/crls/CA-B/crl-0001.pem, published 2013-03-01T09:00:00Z (start + 0s)",
        "CRL: Root-CA pki/cas/crls/Root-CA/crl-0001.pem, published 2013-03-01T09:00:00Z "
        "(start + 0s)",
        "Local certificate Host-B verification success",
    ]
    assert status == 0


def test_verify_after_the_revocation_uses_the_crl_that_revoked(run, capsys):
    status, lines, _ = _verify(run, "scenario+2m", capsys)
    assert lines[2] == ("CRL: CA-B pki/cas/crls/CA-B/crl-0002.pem, published "
                        "2013-03-01T09:02:00Z (start + 2m)")
    assert lines[-1].startswith("Local certificate Host-B verification failed: ")
    assert lines[-1].endswith("was revoked on 2013-03-01 09:02 UTC (keyCompromise)")
    assert status == 1


def test_verify_at_scenario_is_the_end_of_the_run(run, capsys):
    status, lines, _ = _verify(run, "scenario", capsys)
    assert lines[0] == "Time: 2013-03-01T09:10:00Z (run run, start + 10m)"
    assert status == 1


def test_given_crls_are_used_as_given(run, capsys):
    cas = run / "pki" / "cas"
    status = main(["pki", "verify", str(run / "pki" / "Host-B" / "local" / "Host-B.pem"),
                   "--ca", str(cas / "Root-CA.pem"), "--untrusted", str(cas / "CA-B.pem"),
                   "--at", "scenario+1m", "--crl", str(cas / "Root-CA.crl"),
                   "--crl", str(cas / "crls" / "CA-B" / "crl-0002.pem")])
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["Time: 2013-03-01T09:01:00Z (run run, start + 1m)",
                         "CRL: the --crl files given"]
    # The CRL of 09:02 is not yet valid at 09:01.
    assert lines[-1].endswith("CRL from CN=CA-B,O=Test,C=US is not valid before 2013-03-01 "
                              "09:02 UTC")
    assert status == 1


def test_past_the_budget_the_last_crl_is_kept_and_the_gap_is_said(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setattr(sim.report.crl_history, "KEEP_MAX_FILES", 4)
    run = _run(tmp_path, monkeypatch, capsys, events=EVENTS.replace("2m", "9m"),
               cas="  Extra-CA: {subject: \"CN=Extra\", key: ecdsa-256,\n"
                   "             crl: {url: \"http://192.0.2.10/x.crl\", lifetime: 1d}}")
    # Root-CA, CA-A, CA-B and Extra-CA publish at 0 s: the budget of 4 is spent; CA-B's
    # revocation CRL at 9m is over it and, being its last, is kept all the same.
    index = json.loads((run / "pki" / "cas" / "crls.json").read_text())
    assert [e["n"] for e in index["cas"]["CA-B"]["crls"]] == [1, 2]
    status, lines, _ = _verify(run, "scenario+9m", capsys)
    assert status == 1


def test_a_dropped_span_is_refused_for_its_moments(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.report.crl_history, "KEEP_MAX_FILES", 3)
    events = EVENTS + "  - {at: 5m, publish-crl: {ca: CA-B}}\n"
    run = _run(tmp_path, monkeypatch, capsys, events=events)
    index = json.loads((run / "pki" / "cas" / "crls.json").read_text())
    record = index["cas"]["CA-B"]
    assert [e["n"] for e in record["crls"]] == [1, 3]
    assert record["not_kept"] == {"from_s": 120.0, "until_s": 300.0}
    assert sorted(p.name for p in (run / "pki" / "cas" / "crls" / "CA-B").iterdir()) == [
        "crl-0001.pem", "crl-0003.pem"]
    status, _, err = _verify(run, "scenario+3m", capsys)
    assert status == 2
    assert err == ("ikesim: --at 'scenario+3m': the run did not keep CA-B's CRLs published from "
                   "start + 2m to 5m (too many to keep)\n")
    assert _verify(run, "scenario+6m", capsys)[0] == 1


def test_figure4_keeps_the_crl_that_revoked_host_b(tmp_path, monkeypatch, capsys):
    """The README's example: Sales-CA's CRL of 17:29 (9 minutes in) revoked Host-B; the
    second Host-A -> Host-B negotiation failed on it 8 hours later."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "figure4-multilevel", "--out", "f4"]) == 0
    capsys.readouterr()
    pki = "f4/pki"
    status = main(["pki", "verify", f"{pki}/Host-B/local/Host-B.pem",
                   "--ca", f"{pki}/cas/Root-CA.pem", "--untrusted", f"{pki}/cas/Sales-CA.pem",
                   "--at", "scenario+8h25m"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Time: 2012-09-20T01:45:00Z (run f4, start + 8h25m)"
    assert ("CRL: Sales-CA pki/cas/crls/Sales-CA/crl-0002.pem, published 2012-09-19T17:29:00Z "
            "(start + 9m)") in lines
    assert lines[-1].endswith("was revoked on 2012-09-19 17:29 UTC (keyCompromise)")
    assert status == 1


def test_the_history_is_the_same_bytes_for_the_same_seed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(pair(events=EVENTS))
    trees = []
    for out in ("one", "two"):
        assert main(["run", "t.yaml", "--out", out]) == 0
        cas = tmp_path / out / "pki" / "cas"
        trees.append({str(p.relative_to(cas)): p.read_bytes()
                      for p in sorted(cas.rglob("*")) if p.is_file()})
    capsys.readouterr()
    assert trees[0] == trees[1]
    assert "crls/CA-B/crl-0002.pem" in trees[0]
