"""The topology library (topologies/): every file loads, every troubleshooting case shows the
lines it promises and ends the way it says, `ikesim list` and `ikesim troubleshoot`, and
`openssl verify` agrees with the simulator on the revoked and not-yet-valid certificates."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

import pki
from sim.cli import library
from sim.cli.errors import UsageError
from sim.scenario import Scenario
from sim.topology import library as topology_library
from sim.topology import load_topology
from tests.openssl import needs_openssl

ROOT = topology_library.topologies_dir()
FILES = sorted(ROOT.rglob("*.yaml"))
CASE_FILES = sorted((ROOT / "cases").glob("*.yaml"))
OPENSSL = shutil.which("openssl")

# What each case ends in: (Phase 1, Phase 2, error) of its one negotiation.
OUTCOMES = {
    "proposal-mismatch": ("failed", "not started", "No proposal chosen"),
    "ike-id-mismatch": ("failed", "not started", "Authentication failed"),
    "pkid-timeout": ("failed", "not started", "Timeout"),
    "lost-packets": ("failed", "not started", "Timeout"),
    "dropped-fragments": ("failed", "not started", "Timeout"),
    "revoked-dynamic-profile": ("failed", "not started", "Authentication failed"),
    "clock-not-yet-valid": ("failed", "not started", "Authentication failed"),
    "crl-download-failure": ("failed", "not started", "Authentication failed"),
    "crl-download-failure-tolerated": ("done", "done", None),
    "revocation-check-disabled": ("done", "done", None),
    "chain-too-long": ("failed", "not started", "Authentication failed"),
    "missing-intermediate-profile": ("failed", "not started", "Authentication failed"),
    "expired-crl": ("failed", "not started", "Authentication failed"),
    "proxy-id-mismatch": ("done", "failed", "No proposal chosen"),
    "phase2-proposal-mismatch": ("done", "failed", "No proposal chosen"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each topology run once (as `ikesim run` does), on first use."""
    done: dict[Path, Scenario] = {}

    def run(path: Path) -> Scenario:
        if path not in done:
            out = tmp_path_factory.mktemp(path.stem)
            scenario = Scenario.build(load_topology(path), out=out)
            scenario.run()
            scenario.write()
            done[path] = scenario
        return done[path]

    return run


def lines(scenario: Scenario, device: str, log: str = "kmd") -> list[str]:
    """A device's log lines without their timestamps."""
    d = scenario.devices[device]
    return [line[16:] for line in (d.kmd_log if log == "kmd" else d.pkid_log).lines]


def only_negotiation(scenario: Scenario):
    (negotiation,) = scenario.results.in_order()
    return negotiation


# -- the files --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_topology_loads_and_says_what_it_shows(path):
    topology = load_topology(path)
    assert topology.description
    assert path.read_text().startswith("# "), "a comment block saying what it shows"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_every_case_has_a_troubleshoot_section_and_an_expected_outcome(path):
    topology = load_topology(path)
    assert topology.name == path.stem
    assert topology.troubleshoot is not None and topology.troubleshoot.look_for
    assert topology.troubleshoot.resolution
    assert path.stem in OUTCOMES


# -- the cases, run -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_shows_its_look_for_lines_and_ends_as_it_says(path, runs):
    scenario = runs(path)
    topology = scenario.topology
    for look in topology.troubleshoot.look_for:
        assert library.matches(scenario, look), \
            f"{look.device} {look.log}: no line contains {look.contains!r}"
    n = only_negotiation(scenario)
    assert (n.phase1, n.phase2, n.error) == OUTCOMES[path.stem]


def test_the_guides_phase1_lines_word_for_word(runs):
    cases = ROOT / "cases"
    srx = lines(runs(cases / "proposal-mismatch.yaml"), "SRX")
    assert srx[0] == ("Phase-1 [responder] failed with error(No proposal chosen) for "
                      "local=unknown(any:0,[0..0]=) remote=fqdn(udp:500,[0..15]=ssg5.example.net)")
    assert re.fullmatch(r"1\.1\.1\.2:500 \(Responder\) <-> 2\.2\.2\.2:500 \{ [0-9a-f]{8} "
                        r"[0-9a-f]{8} - [0-9a-f]{8} [0-9a-f]{8} \[- 1\] / 0x00000000 \} IP; "
                        r"Error = No proposal chosen \(14\)", srx[1])
    srx = lines(runs(cases / "ike-id-mismatch.yaml"), "SRX")
    assert srx[:2] == [
        "Unable to find phase-1 policy as remote peer:2.2.2.2 is not recognized.",
        "Phase-1 [responder] failed with error(Authentication failed) for "
        "local=ipv4(udp:500,[0..3]=1.1.1.2) remote=ipv4(any:0,[0..3]=2.2.2.2)"]
    srx = lines(runs(cases / "pkid-timeout.yaml"), "SRX")
    assert ("Phase-1 [responder] failed with error(Timeout) for local=unknown(any:0,[0..0]=) "
            "remote=ipv4(any:0,[0..3]=2.2.2.2)") in srx


def test_pkid_timeout_is_pkid_still_downloading_when_kmd_gives_up(runs):
    s = runs(ROOT / "cases" / "pkid-timeout.yaml")
    kmd = scenario_times(s, "SRX", "kmd", "failed with error(Timeout)")
    started = scenario_times(s, "SRX", "pkid", "Start downloading CRL for CA profile ms-ca")
    loaded = scenario_times(s, "SRX", "pkid", "CRL for CA profile ms-ca loaded")
    assert started < kmd < loaded


def scenario_times(scenario: Scenario, device: str, log: str, text: str) -> dt.datetime:
    """When the one line of the log containing `text` was written (syslog time, no year)."""
    d = scenario.devices[device]
    (line,) = [x for x in (d.kmd_log if log == "kmd" else d.pkid_log).lines if text in x]
    return dt.datetime.strptime(line[:15], "%b %d %H:%M:%S")


def test_lost_packets_never_reach_the_srx(runs):
    s = runs(ROOT / "cases" / "lost-packets.yaml")
    assert lines(s, "SRX") == []


def test_revocation_check_disabled_downloads_no_crl(runs):
    s = runs(ROOT / "cases" / "revocation-check-disabled.yaml")
    assert not any("CRL" in line for line in lines(s, "SRX", "pkid"))
    assert s.devices["SRX"].pkid.download_records == []


def test_chain_of_ten_certificates_is_sent_and_eleven_refused(runs):
    s = runs(ROOT / "cases" / "chain-too-long.yaml")
    pkid = lines(s, "Host-B", "pkid")
    assert "Path [10] C = us, O = example, CN = Root-CA (CA profile Root-CA)" in pkid
    assert pkid[-1].endswith("verification failed: the chain has 11 certificates, more than 10")


def test_phase2_proxy_id_mismatch_gives_the_guides_lines(runs):
    srx = lines(runs(ROOT / "cases" / "proxy-id-mismatch.yaml"), "SRX")
    assert ("Failed to match the peer proxy ids "
            "p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24) "
            "p2_local=ipv4_subnet(any:0,[0..7]=10.10.20.0/24) for the remote "
            "peer:ipv4(udp:500,[0..3]=2.2.2.2)") in srx
    assert srx[-1].endswith("} QM; Error = No proposal chosen (14)")
    srx = lines(runs(ROOT / "cases" / "phase2-proposal-mismatch.yaml"), "SRX")
    assert not any("proxy ids" in line for line in srx)
    assert srx[-1].endswith("} QM; Error = No proposal chosen (14)")


# -- the examples -------------------------------------------------------------------------------


def test_chapter11_srx_is_the_responder_to_ssg5_by_fqdn(runs):
    s = runs(ROOT / "chapter11-srx-ssg5.yaml")
    n = only_negotiation(s)
    assert (n.initiator, n.responder, n.phase1, n.phase2) == ("SSG5", "SRX", "done", "done")
    srx = lines(s, "SRX")
    assert ("Phase-1 [responder] done for local=ipv4(udp:500,[0..3]=1.1.1.2) "
            "remote=fqdn(udp:500,[0..15]=ssg5.example.net)") in srx
    assert ("Phase-2 [responder] done for p1_local=ipv4(udp:500,[0..3]=1.1.1.2) "
            "p1_remote=fqdn(udp:500,[0..15]=ssg5.example.net) "
            "p2_local=ipv4_subnet(any:0,[0..7]=10.10.10.0/24) "
            "p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24)") in srx
    assert "Local certificate ms-cert verification success" in lines(s, "SRX", "pkid")


def test_single_level_cert_payloads_carry_the_ee_certificate_alone(runs):
    s = runs(ROOT / "single-level.yaml")
    assert only_negotiation(s).phase1 == "done"
    assert "Received 1 certificate(s) from 30.1.1.51; asking pkid to verify" in lines(s, "SRX-A")
    assert "Received 1 certificate(s) from 30.1.1.31; asking pkid to verify" in lines(s, "SRX-B")


def test_cross_certified_paths_run_across_the_domains(runs):
    s = runs(ROOT / "cross-certified.yaml")
    assert only_negotiation(s).phase1 == "done"
    pkid = lines(s, "SRX-B", "pkid")
    # SRX-B trusts only Root-B; SRX-A's chain reaches it through the cross certificate.
    assert "Path [2] C = us, O = domain-a, CN = Root-A (CA profile dynamic-001)" in pkid
    assert "Path [3] C = us, O = domain-b, CN = Root-B (CA profile Root-B)" in pkid
    assert ("Dynamic CA profile dynamic-002 created for CA C = us, O = domain-a, "
            "CN = Issuing-A, parent CA profile dynamic-001") in pkid
    # EE, issuing CA and the cross certificate travel in the CERT payloads.
    assert "Received 3 certificate(s) from 30.1.1.31; asking pkid to verify" in lines(s, "SRX-B")
    edges = s.results_json()["hierarchy"]["edges"]
    assert {"issuer": "Root-A", "subject": "Root-B", "primary": False} in edges


# -- ikesim list / troubleshoot -----------------------------------------------------------------


def ikesim(argv: list[str]) -> int:
    """`ikesim ARGS` with the library commands, handling errors as sim.cli.main.main does."""
    parser = argparse.ArgumentParser(prog="ikesim")
    library.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"ikesim: {exc}", file=sys.stderr)
        return 2


def test_list_shows_every_topology_sorted_with_its_description(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # found relative to the package, not the working directory
    assert ikesim(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["Name", "Kind", "Description"]
    rows = out[1:out.index("")]
    names = [row.split()[0] for row in rows]
    assert names == sorted(names)
    assert len(rows) == len(FILES)
    table = {row.split()[0]: row.split(None, 2)[1:] for row in rows}
    assert table["proposal-mismatch"] == [
        "case", "SSG5 proposes aes-128-cbc, the SRX only 3des-cbc: No proposal chosen"]
    assert table["chapter11-srx-ssg5"][0] == "topology"
    assert {p.stem for p in CASE_FILES} <= {n for n, (kind, _) in table.items() if kind == "case"}


def test_troubleshoot_prints_the_lines_then_the_resolution(capsys, tmp_path):
    assert ikesim(["troubleshoot", "proposal-mismatch", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    look, _, resolution = out.partition("\nResolution:\n")
    assert ("  SRX kmd: Nov  7 11:52:14 Phase-1 [responder] failed with error(No proposal chosen) "
            "for local=unknown(any:0,[0..0]=) remote=fqdn(udp:500,[0..15]=ssg5.example.net)\n"
            ) in look
    assert re.search(r"^  SRX kmd: Nov  7 11:52:14 1\.1\.1\.2:500 \(Responder\) <-> "
                     r"2\.2\.2\.2:500 .* IP; Error = No proposal chosen \(14\)$", look, re.M)
    assert "  SSG5 kmd: Nov  7 11:52:14 Phase-1 [initiator] failed" in look
    assert " ".join(resolution.split()).startswith(
        "Phase-1 [responder] failed with error (No proposal chosen): Phase 1 failure because "
        "of proposal mismatch. To resolve this issue, ensure that the parameters for the IKE "
        "gateway Phase 1 proposals on both the responder and the initiator match.")
    assert (tmp_path / "run" / "logs" / "SRX" / "kmd").is_file()


def test_troubleshoot_unknown_case_names_the_known_ones(capsys):
    assert ikesim(["troubleshoot", "no-such-case"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("ikesim: no case 'no-such-case'; known cases: chain-too-long, ")
    assert "proposal-mismatch" in err


def test_library_found_through_the_environment_when_not_beside_the_package(tmp_path):
    elsewhere = str(tmp_path / "site-packages" / "sim" / "__init__.py")
    found = topology_library.topologies_dir(package_file=elsewhere,
                                       environ={"IKESIM_TOPOLOGIES": str(ROOT)})
    assert found == ROOT
    with pytest.raises(topology_library.LibraryNotFound, match="set IKESIM_TOPOLOGIES"):
        topology_library.topologies_dir(package_file=elsewhere, environ={})


# -- openssl agrees -----------------------------------------------------------------------------


def openssl_errors(run_dir: Path, *, anchor: str, leaf: Path, at: dt.datetime,
                   untrusted: list[str] = ()) -> tuple[int, list[str]]:
    """`openssl verify -attime -crl_check_all` with the run's CA certificates and CRLs."""
    cas = run_dir / "pki" / "cas"
    crls = run_dir / "crls.pem"
    crls.write_bytes(b"".join(p.read_bytes() for p in sorted(cas.glob("*.crl"))))
    command = [OPENSSL, "verify", "-attime", str(int(at.timestamp())), "-crl_check_all",
               "-CAfile", str(cas / f"{anchor}.pem"), "-CRLfile", str(crls)]
    for ca in untrusted:
        command += ["-untrusted", str(cas / f"{ca}.pem")]
    done = subprocess.run([*command, str(leaf)], capture_output=True, text=True, timeout=30)
    errors = re.findall(r"^error \d+ at \d+ depth lookup: .*$", done.stdout + done.stderr, re.M)
    return done.returncode, errors


def negotiation_time(scenario: Scenario, device: str) -> dt.datetime:
    """When `device`'s pkid decided, on the device's own clock."""
    n = only_negotiation(scenario)
    offset = scenario.devices[device].clock_offset
    return scenario.topology.start + dt.timedelta(seconds=n.finished + offset)


@needs_openssl
def test_openssl_also_finds_host_b_revoked(runs):
    s = runs(ROOT / "cases" / "revoked-dynamic-profile.yaml")
    assert "was revoked on 2012-09-19 17:29 UTC" in lines(s, "Host-A", "pkid")[-1]
    at = negotiation_time(s, "Host-A")
    rc, errors = openssl_errors(s.out, anchor="Root-CA", untrusted=["Sales-CA"], at=at,
                                leaf=s.out / "pki" / "Host-B" / "local" / "Host-B.pem")
    assert rc != 0
    assert errors == ["error 23 at 0 depth lookup: certificate revoked"]
    # The same files and time accept a certificate nobody revoked.
    rc, errors = openssl_errors(s.out, anchor="Root-CA", untrusted=["Eng-CA", "Dev-CA"], at=at,
                                leaf=s.out / "pki" / "Host-A" / "local" / "Host-A.pem")
    assert (rc, errors) == (0, [])


@needs_openssl
def test_openssl_also_finds_the_ssg5_certificate_not_yet_valid_on_the_srx_clock(runs):
    s = runs(ROOT / "cases" / "clock-not-yet-valid.yaml")
    assert lines(s, "SRX", "pkid")[-1].endswith("is not valid before 2007-11-07 09:52 UTC")
    leaf = s.out / "pki" / "SSG5" / "local" / "ssg5-cert.pem"
    rc, errors = openssl_errors(s.out, anchor="labdomain-ca", leaf=leaf,
                                at=negotiation_time(s, "SRX"))
    assert rc != 0
    # pki/cas/ holds the CRL as the CA published it at the end of the run, which is in the
    # future for the SRX's slow clock too; openssl reports that and goes on (the simulator stops
    # at the certificate's date and never looks at the CRL).
    assert [e for e in errors if not e.endswith("CRL is not yet valid")] == [
        "error 9 at 0 depth lookup: certificate is not yet valid"]
    # On the true clock, at the end of the run, the same files are fine.
    end = s.topology.start + dt.timedelta(seconds=s.topology.duration)
    assert openssl_errors(s.out, anchor="labdomain-ca", leaf=leaf, at=end) == (0, [])


SMALL = [f for f in FILES if f.stem != "hub-and-spoke"]


@needs_openssl
@pytest.mark.parametrize("path", SMALL, ids=[f.stem for f in SMALL])
def test_openssl_and_ikesim_agree_on_every_local_certificate_a_run_wrote(runs, path, tmp_path):
    """The PEM files under pki/ are real: for each device's certificate, `openssl verify` with
    the run's CA certificates and CRLs gives the verdict pki.validate_path gives, at the end."""
    s = runs(path)
    cas = s.out / "pki" / "cas"
    certs = {p: x509.load_pem_x509_certificate(p.read_bytes()) for p in sorted(cas.glob("*.pem"))}
    roots = [p for p, c in certs.items() if c.issuer == c.subject]
    others = [p for p in certs if p not in roots]
    crl_files = sorted(cas.glob("*.crl"))
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(b"".join(p.read_bytes() for p in roots))
    pool = tmp_path / "pool.pem"
    pool.write_bytes(b"".join(p.read_bytes() for p in others))
    crls = tmp_path / "crls.pem"
    crls.write_bytes(b"".join(p.read_bytes() for p in crl_files))
    at = s.world.now()
    checked = 0
    for leaf_file in sorted((s.out / "pki").glob("*/local/*.pem")):
        leaf = x509.load_pem_x509_certificate(leaf_file.read_bytes())
        ours = pki.validate_path(leaf, trust_anchors=[certs[p] for p in roots],
                                 intermediates=[certs[p] for p in others],
                                 crls=[x509.load_pem_x509_crl(p.read_bytes()) for p in crl_files],
                                 at=at)
        command = [OPENSSL, "verify", "-attime", str(int(at.timestamp())), "-crl_check_all",
                   "-verify_depth", "8", "-CAfile", str(bundle), "-CRLfile", str(crls)]
        if others:
            command += ["-untrusted", str(pool)]
        theirs = subprocess.run([*command, str(leaf_file)], capture_output=True, text=True,
                                timeout=30)
        assert (theirs.returncode == 0) == ours.ok, (leaf_file, ours.message, theirs.stdout)
        checked += 1
    assert checked >= 2
