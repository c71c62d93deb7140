"""`ikesim run`: the summary, results.json, the run directory, the capture, and bad input."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from sim.cli.main import main
from sim.cli.run import summary
from sim.junos.logs import syslog_escape
from sim.report.run_folder import mark
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.badinput.conftest import files_under
from tests.sim.scenarios import pair
from tests.sim.tshark import needs_tshark

EVENTS = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
          "  - {at: 2m, revoke: {ca: CA-B, certificate: Host-B}}\n"
          "  - {at: 1d2h, initiate: {device: Host-A, gateway: gw}}")


@pytest.fixture
def topology_file(tmp_path):
    path = tmp_path / "pair.yaml"
    path.write_text(pair(events=EVENTS, duration="1d3h"))
    return path


def test_run_prints_summary_and_writes_the_run_directory(topology_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(topology_file), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Scenario test (seed 7): 2 negotiations, 27h00m00s simulated in ")
    rows = text.splitlines()
    assert rows[2].split() == ["#", "Started", "Initiator", "Responder", "Gateway", "Phase", "1",
                               "Phase", "2", "Error", "Time"]
    assert rows[3].split()[:7] == ["1", "2013-03-01", "09:00:01", "Host-A", "Host-B", "gw",
                                   "done"]
    assert "failed" in rows[4] and "Authentication failed" in rows[4]
    assert f"Results:  {out / 'results.json'}" in text

    results = json.loads((out / "results.json").read_text())
    assert (results["scenario"], results["seed"]) == ("test", 7)
    first, second = results["negotiations"]
    assert first["initiator"] == "Host-A" and first["responder"] == "Host-B"
    assert first["gateway"] == "gw" and first["phase1"] == "done" and first["error"] is None
    assert first["started"] == "2013-03-01T09:00:01Z"
    assert first["duration_s"] > 0
    assert any(step["what"] == "pkid validation" for step in first["steps"])
    assert second["phase1"] == "failed" and second["error"] == "Authentication failed"
    assert any(d["url"] == "http://192.0.2.10/b.crl" and d["ok"]
               for d in results["crl_downloads"])

    assert (out / "logs" / "Host-A" / "kmd").read_text().count("Phase-1 [initiator]") == 2
    key = out / "pki" / "Host-A" / "keys" / "Host-A.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    log = out / "logs" / "Host-A" / "pkid"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600  # no-world-readable, the default
    assert (out / "pki" / "cas" / "CA-B.crl").exists()


def test_same_seed_same_results(topology_file, tmp_path, capsys):
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert main(["run", str(topology_file), "--out", str(out), "--quiet"]) == 0
    assert (outs[0] / "results.json").read_text() == (outs[1] / "results.json").read_text()
    assert (outs[0] / "logs/Host-B/kmd").read_text() == (outs[1] / "logs/Host-B/kmd").read_text()


def test_topology_error_names_file_and_line_and_runs_nothing(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    text = pair().replace("address: 10.0.0.2\n", "address: 10.0.0\n", 1)
    path.write_text(text)
    out = tmp_path / "never"
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    line = text.splitlines().index("    address: 10.0.0") + 1
    assert err == (f"ikesim: {path} line {line}: devices.Host-B.address: '10.0.0' is not an "
                   "IPv4 address\n")
    assert not out.exists()


def test_config_error_points_into_the_topology_file(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    text = pair().replace("revocation-check crl\n",
                          "revocation-check crl refresh-interval 9999\n", 1)
    path.write_text(text)
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "9999" in row)
    assert err.startswith(f"ikesim: {path} line {line}: devices.Host-A.config: ")
    assert "refresh-interval 9999: value must be 0..8784" in err
    assert err.count("\n") == 1


@needs_tshark
def test_capture_dissects_cleanly_and_decrypts_with_the_key_table(topology_file, tmp_path,
                                                                  capsys):
    pcap = tmp_path / "ike.pcap"
    assert main(["run", str(topology_file), "--out", str(tmp_path / "o"), "--quiet",
                 "--pcap", str(pcap)]) == 0
    keys = (tmp_path / "ike.pcap.keys").read_text().splitlines()
    assert len(keys) == 2 and all(len(k.split(",")[0]) == 16 for k in keys)
    home = tmp_path / "home"
    (home / ".config" / "wireshark").mkdir(parents=True)
    (home / ".config" / "wireshark" / "ikev1_decryption_table").write_text(
        "\n".join(keys) + "\n")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    dissected = subprocess.run(["tshark", "-r", str(pcap), "-V"], capture_output=True,
                               text=True, env=env, check=True).stdout
    assert "Malformed" not in dissected
    assert dissected.count("Identity Protection (Main Mode)") >= 12
    # Messages 5 and 6 of both negotiations decrypt: their ID and SIG payloads appear.
    assert dissected.count("Payload: Identification (5)") == 4
    assert dissected.count("Payload: Signature (9)") == 4
    assert dissected.count("Certificate Encoding: X.509 Certificate - Signature (4)") == 8


def test_param_overrides_a_topology_parameter(tmp_path, capsys):
    path = tmp_path / "grouped.yaml"
    path.write_text(pair().replace("name: test\n", "name: test\nparameters: {at: 1s}\n")
                    .replace("{at: 1s, initiate", "{at: \"${at}\", initiate"))
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--param", "at=2s"]) == 0
    assert "2013-03-01 09:00:02  Host-A" in capsys.readouterr().out
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--param", "nope=1"]) == 2
    assert capsys.readouterr().err == (f"ikesim: {path}: --param nope: no such parameter "
                                       "(parameters: at)\n")
    assert main(["run", str(path), "--param", "at"]) == 2
    assert "--param at: expected NAME=VALUE" in capsys.readouterr().err


def test_many_negotiations_are_summarised_by_outcome(tmp_path, capsys):
    events = "\n".join(f"  - {{at: {10 * i + 1}s, initiate: {{device: Host-A, gateway: gw}}}}"
                       for i in range(21))
    path = tmp_path / "many.yaml"
    path.write_text(pair(events=events, duration="5m"))
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Scenario test (seed 7): 21 negotiations")
    assert out[2].split() == ["Phase", "1", "Phase", "2", "Error", "Count", "Median", "95th",
                              "pct", "Max"]
    assert out[3].split()[:5] == ["done", "not", "started", "-", "21"]
    assert "(one record per negotiation in results.json)" in out


# -- what a peer sends reaches no log or terminal unescaped --------------------------------------

FORGED = "B\x1b[2J\nMar  1 09:00:01 Phase-1 [responder] done"  # a CN holds 64 at most


def _forge_peer_certificate(scenario: Scenario) -> None:
    """Host-B's certificate re-issued by CA-B with a common name holding a newline, an escape
    sequence and a forged log line: what a stranger's CA may put in a certificate."""
    host_b = scenario.devices["Host-B"]
    old = host_b.pki.store.local_certificates["Host-B"]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, FORGED),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test")])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(old.issuer)
               .public_key(old.public_key()).serial_number(old.serial_number + 1)
               .not_valid_before(old.not_valid_before_utc)
               .not_valid_after(old.not_valid_after_utc))
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    cert = builder.sign(scenario.hierarchy.key("CA-B"), old.signature_hash_algorithm)
    host_b.pki.store = host_b.pki.store.add_local_certificate("Host-B", cert)


def test_a_peer_identity_cannot_forge_log_lines_or_drive_the_terminal(tmp_path, capsys):
    text = pair(b={"local_identity": "distinguished-name"})
    scenario = Scenario.build(parse_topology(text, source="pair.yaml"), out=tmp_path / "run")
    _forge_peer_certificate(scenario)
    scenario.run()
    scenario.write()
    mark(tmp_path / "run", scenario="test", seed=7)

    kmd = (tmp_path / "run" / "logs" / "Host-A" / "kmd").read_text()
    assert kmd.count("\n") == 1 and "\x1b" not in kmd
    assert kmd == ("Mar  1 09:00:01 Phase-1 [initiator] done for local=ipv4(udp:500,[0..3]="
                   "10.0.0.1) remote=der_asn1_dn(udp:500,[0..73]=O=Test, CN=B^[[2J "
                   "Mar  1 09:00:01 Phase-1 [responder] done)\n")
    pkid = (tmp_path / "run" / "logs" / "Host-A" / "pkid").read_text()
    # pkid renders the DN itself with RFC 4514 escapes; either way no control character.
    assert "CN = B\\1B[2J\\0AMar  1 09:00:01 Phase-1" in pkid
    assert all(syslog_escape(line) == line for line in pkid.splitlines())
    assert main(["show", str(tmp_path / "run"), "Host-A", "show log kmd"]) == 0
    assert capsys.readouterr().out == kmd
    summary_text = summary(scenario, 0.1)
    assert "\x1b" not in summary_text and "Host-B" in summary_text


@pytest.mark.parametrize("name", ["../../escape", "{tmp}/absolute", "."])
def test_a_device_name_that_is_a_path_writes_nothing_outside_the_run(tmp_path, capsys, name):
    name = name.format(tmp=tmp_path)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    text = pair().replace("  Host-B:\n", f"  '{name}':\n").replace(
        "[Host-A, Host-B]", f"[Host-A, '{name}']")
    (work / "bad.yaml").write_text(text)
    before = files_under(tmp_path)
    code = main(["run", str(work / "bad.yaml"), "--out", str(work / "run")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert files_under(tmp_path) == before
    assert sorted(p.name for p in work.iterdir()) == ["bad.yaml"]


def test_topology_warnings_are_printed_one_line_each_before_running(tmp_path, monkeypatch,
                                                                   capsys):
    """A statement ikesim accepts but does not model is one warning line naming the file's
    line, before the run's own output."""
    statement = "set security ike gateway gw general-ikeid"
    text = pair(b={"extra": statement})
    line = text.splitlines().index(f"      {statement}") + 1
    (tmp_path / "t.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "t.yaml", "--quiet"]) == 0
    assert capsys.readouterr().err == (
        f"ikesim: warning: t.yaml line {line}: devices.Host-B.config: 'security ike gateway gw "
        "general-ikeid' is not modelled by ikesim (accepted, no effect)\n")


def test_an_event_after_the_end_of_the_run_is_a_warning(tmp_path, monkeypatch, capsys):
    """It would silently not happen: say so, once per line (a wildcard makes many)."""
    events = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
              "  - {at: 20m, initiate: {device: Host-A, gateway: gw}}")
    text = pair(events=events)
    line = text.splitlines().index("  - {at: 20m, initiate: {device: Host-A, gateway: gw}}") + 1
    (tmp_path / "t.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "t.yaml", "--quiet"]) == 0
    assert capsys.readouterr().err == (
        f"ikesim: warning: t.yaml line {line}: events.initiate: at 20m comes when the run has "
        "ended (10m); it does not happen\n")
    assert main(["run", "t.yaml", "--quiet", "--until", "30m", "--out", "longer"]) == 0
    assert capsys.readouterr().err == ""


def test_run_builds_the_results_record_once_for_results_json_and_plots(topology_file, tmp_path,
                                                                      monkeypatch):
    # For 100,000 spokes the record is seconds of work: results.json and the plots share it.
    built = []
    results_json = Scenario.results_json

    def counted(scenario):
        built.append(scenario)
        return results_json(scenario)

    monkeypatch.setattr(Scenario, "results_json", counted)
    out = tmp_path / "out"
    assert main(["run", str(topology_file), "--out", str(out), "--quiet"]) == 0
    assert len(built) == 1
    assert json.loads((out / "results.json").read_text())["scenario"] == "test"
    assert (out / "plots" / "outcomes.png").is_file()
