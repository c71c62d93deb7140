"""`ikesim pki export`: the topology's PKI as a strongSwan swanctl folder per device, the
certificates the simulation builds, verifying with openssl against the exported CA files."""

from __future__ import annotations

import datetime as dt
import signal
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from sim.cli.main import main
from tests.openssl import needs_openssl
from tests.sim.live.peers import Peer, free_ports

FIGURE4 = str(Path(__file__).resolve().parents[3] / "topologies" / "figure4-multilevel.yaml")
CHAINS = {"Host-A": ("Eng-CA", "Dev-CA"), "Host-B": ("Sales-CA",)}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "pki"
    assert main(["pki", "export", FIGURE4, "--out", str(out)]) == 0
    return out


def test_each_device_gets_a_swanctl_folder_with_its_key_0600(exported: Path) -> None:
    for device in CHAINS:
        folder = exported / device
        assert sorted(p.name for p in folder.iterdir()) == ["private", "x509", "x509ca",
                                                             "x509crl"]
        assert sorted(p.name for p in (folder / "x509ca").iterdir()) == [
            "Dev-CA.pem", "Eng-CA.pem", "Qa-CA.pem", "Root-CA.pem", "Sales-CA.pem"]
        key_file = folder / "private" / f"{device}.pem"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        cert = x509.load_pem_x509_certificate((folder / "x509" / f"{device}.pem").read_bytes())
        key = load_pem_private_key(key_file.read_bytes(), password=None)
        assert key.public_key() == cert.public_key()  # the key of that certificate
        assert f"CN={device}" in cert.subject.rfc4514_string()
    index = (exported / "index.txt").read_text()
    assert "Host-B/private/Host-B.pem  its private key (PKCS#8 PEM, unencrypted, mode 0600)" \
        in index
    assert "system-generated" not in index


def test_the_export_holds_the_simulations_certificates(exported: Path, tmp_path: Path) -> None:
    assert main(["run", FIGURE4, "--until", "1s", "--out", str(tmp_path / "run"),
                 "--quiet"]) == 0
    simulated = next((tmp_path / "run" / "pki" / "Host-B" / "local").glob("Host-B*"))
    exported_cert = x509.load_pem_x509_certificate(
        (exported / "Host-B" / "x509" / "Host-B.pem").read_bytes())
    assert x509.load_pem_x509_certificate(simulated.read_bytes()) == exported_cert


@needs_openssl
@pytest.mark.parametrize("device", sorted(CHAINS))
def test_openssl_verifies_each_device_certificate_and_the_crls(exported: Path,
                                                               tmp_path: Path,
                                                               device: str) -> None:
    cas = exported / device / "x509ca"
    untrusted = tmp_path / "untrusted.pem"
    untrusted.write_bytes(b"".join((cas / f"{ca}.pem").read_bytes() for ca in CHAINS[device]))
    crls = tmp_path / "crls.pem"
    crls.write_bytes(b"".join(p.read_bytes()
                              for p in sorted((exported / device / "x509crl").iterdir())))
    at = "1348075300"  # 2012-09-19 17:21:40 UTC, just after the topology's start
    verdict = subprocess.run(
        ["openssl", "verify", "-attime", at, "-crl_check_all", "-CRLfile", str(crls),
         "-CAfile", str(cas / "Root-CA.pem"), "-untrusted", str(untrusted),
         str(exported / device / "x509" / f"{device}.pem")],
        capture_output=True, text=True, timeout=30)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert verdict.stdout.strip().endswith(f"{device}.pem: OK")



@needs_openssl
def test_start_now_gives_a_real_peer_certificates_valid_today_the_live_peer_holds(
        tmp_path: Path) -> None:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = tmp_path / "pki"
    assert main(["pki", "export", FIGURE4, "--out", str(out), "--start", start]) == 0
    folder = out / "Host-B"
    verdict = subprocess.run(  # openssl's own clock: today
        ["openssl", "verify", "-crl_check_all", "-CRLfile", str(folder / "x509crl" /
                                                               "Sales-CA.pem"),
         "-CRLfile", str(folder / "x509crl" / "Root-CA.pem"),
         "-CAfile", str(folder / "x509ca" / "Root-CA.pem"),
         "-untrusted", str(folder / "x509ca" / "Sales-CA.pem"),
         str(folder / "x509" / "Host-B.pem")], capture_output=True, text=True, timeout=30)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    # The live peer given the same --start holds that very certificate.
    (port,) = free_ports(1)
    peer = Peer(tmp_path, Path(FIGURE4), "Host-B", port=port, gateway_port=port + 1,
                out="live", once=False, extra=("--start", start))
    try:
        peer.listening()
        peer.interrupt(signal.SIGTERM)  # as Ctrl-C: the run folder is written
        code, _, err = peer.wait()
    finally:
        peer.kill()
    assert code == 0, err
    held = next((peer.run / "pki" / "Host-B" / "local").glob("Host-B*")).read_bytes()
    assert x509.load_pem_x509_certificate(held) == x509.load_pem_x509_certificate(
        (folder / "x509" / "Host-B.pem").read_bytes())
