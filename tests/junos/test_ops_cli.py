"""`ikesim show` and `ikesim cli` on a small run directory built here."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pki.crl import build_crl
from pki.store import CertificateStore
from sim.cli.main import main
from sim.report.run_folder import mark
from tests.junos.ops_states import MS_CONFIG, at, ms_certificates, state

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_dir(tmp_path):
    """A run directory holding device `host`: ms-ca with its CRL, ms-cert and its key."""
    ca, ca_key, cert, key = ms_certificates()
    crl = build_crl(issuer=ca, issuer_key=ca_key, revoked=[], this_update=at("10-30-2007 20:32"),
                    next_update=at("11- 7-2007 08:52"), number=1)
    store = (CertificateStore().add_ca_certificate("ms-ca", ca).add_crl("ms-ca", crl)
             .add_key_pair("ms-cert", key).add_local_certificate("ms-cert", cert))
    state("host", config=MS_CONFIG, store=store, now=at("11- 5-2007 00:00")).save(tmp_path)
    mark(tmp_path, scenario="ms", seed=1)
    (tmp_path / "ms-ca.crl").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return tmp_path


def test_show_prints_one_answer(run_dir, capsys):
    assert main(["show", str(run_dir), "host", "show security pki crl"]) == 0
    assert capsys.readouterr().out == """\
CA profile: ms-ca
  CRL version: V00000001
  CRL issuer: emailAddress = certadmin@example.net, C = US, ST = CA, L =
    Sunnyvale, O = Example, OU = Sales, CN = Sales
  Effective date: 10-30-2007 20:32
  Next update: 11- 7-2007 08:52
"""


def test_show_takes_the_command_as_words(run_dir, capsys):
    assert main(["show", str(run_dir), "host", "show", "security", "pki", "local-certificate"]
                ) == 0
    assert capsys.readouterr().out.startswith("Certificate identifier: ms-cert\n")


@pytest.mark.parametrize("argv,message", [
    (["host", "show security pki bogus"], "show security pki bogus: syntax error, expecting "
                                          "<command>."),
    (["nobody", "show log kmd"], "no device nobody in this run directory (devices here: host)"),
    (["host", "request security pki verify-integrity-status"], "is not a show command"),
])
def test_show_refuses_in_one_line(run_dir, capsys, argv, message):
    assert main(["show", str(run_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_show_of_a_missing_run_dir(tmp_path, capsys):
    assert main(["show", str(tmp_path / "none"), "host", "show log kmd"]) == 2
    assert "none: no such run folder" in capsys.readouterr().err


def test_show_error_answer_exits_1(run_dir, capsys):
    assert main(["show", str(run_dir), "host", "show security pki crl ca-profile x"]) == 1
    assert capsys.readouterr().out == "error: CRL for CA profile x does not exist\n"


def test_cli_session_persists_changes(run_dir, capsys, monkeypatch):
    commands = "\n".join([
        "show security pki ?",
        "clear security pki crl ca-profile ms-ca",
        f"request security pki crl load ca-profile ms-ca filename {run_dir / 'ms-ca.crl'}",
        f"request security pki crl load ca-profile ms-ca filename {run_dir / 'ms-ca.crl'}",
        "clear security pki ca-certificate ca-profile ms-ca",
        "no",
        "request security pki generate-key-pair certificate-id k2 type ecdsa",
        "help",
        "exit",
        "show never reached",
    ]) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(commands))
    assert main(["cli", str(run_dir), "host"]) == 0
    out = capsys.readouterr().out
    assert "user@host> show security pki ?\nPossible completions:\n  ca-certificate " in out
    assert "user@host> clear security pki crl ca-profile ms-ca\n" \
           "CRL for CA profile ms-ca cleared\n" in out
    assert out.count("CRL for CA profile ms-ca loaded successfully") == 1
    assert "error: CRL for CA profile ms-ca is already loaded" in out
    assert "Do you want to delete this CA certificate ? [yes,no] (no) no\n" in out
    assert "Generated key pair k2, key size 256 bits" in out
    assert "never reached" not in out
    assert out.endswith("user@host> exit\n")
    # The run directory now holds the new key pair, and ms-ca's certificate still.
    capsys.readouterr()
    assert main(["show", str(run_dir), "host", "show security pki ca-certificate"]) == 0
    assert (run_dir / "pki" / "host" / "keys" / "k2.key").exists()


def test_cli_cleared_objects_stay_cleared(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("clear security pki crl ca-profile all\n"))
    assert main(["cli", str(run_dir), "host"]) == 0
    capsys.readouterr()
    assert main(["show", str(run_dir), "host", "show security pki crl"]) == 0
    assert capsys.readouterr().out == ""


def test_cli_with_piped_input_in_a_real_process(run_dir):
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli.main", "cli", str(run_dir), "host"],
        input="sh sec pki local-certificate certificate-id ms-cert\nfoo\nquit\n",
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == [
        "user@host> sh sec pki local-certificate certificate-id ms-cert",
        "Certificate identifier: ms-cert",
        "  Issued to: john doe, Issued by: emailAddress = certadmin@example.net, C = US,",
        "    ST = CA, L = Sunnyvale, O = Example, OU = Sales, CN = Sales",
    ]
    assert "user@host> foo\n           ^\nunknown command.\nuser@host> quit" in done.stdout


def test_cli_replaces_a_file_it_exports_to_and_refuses_a_symlink_or_a_device(
        run_dir, capsys, monkeypatch):
    victim = run_dir / "victim"
    victim.write_text("precious\n")
    (run_dir / "cert.pem").write_text("an old export\n")
    (run_dir / "link.pem").symlink_to(victim)
    os.mkfifo(run_dir / "fifo.pem")
    export = "request security pki local-certificate export certificate-id ms-cert filename"
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(
        f"{export} {run_dir / name}\n" for name in ("cert.pem", "link.pem", "fifo.pem"))))
    assert main(["cli", str(run_dir), "host"]) == 0
    out = capsys.readouterr().out
    assert out.count("certificate exported successfully") == 1
    assert (run_dir / "cert.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert (f"error: {run_dir / 'link.pem'}: is a symbolic link; ikesim neither writes "
            "through nor replaces it") in out
    assert f"error: {run_dir / 'fifo.pem'}: is not a regular file; ikesim does not replace it" \
        in out
    assert victim.read_text() == "precious\n" and (run_dir / "link.pem").is_symlink()


class _CountingInput(io.StringIO):
    """stdin that remembers the longest string one read returned."""

    longest = 0

    def readline(self, size: int = -1) -> str:
        line = super().readline(size)
        self.longest = max(self.longest, len(line))
        return line


def test_cli_refuses_a_megabyte_line_without_holding_it(run_dir, capsys, monkeypatch):
    """The CLI reads at most one line's worth (64 KiB) at a time: a 1 MB line is counted,
    dropped and answered in one error line, and the session goes on."""
    stdin = _CountingInput("show " + "x" * 1_000_000 + "\nshow security pki crl\nexit\n")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["cli", str(run_dir), "host"]) == 0
    out = capsys.readouterr().out
    assert "user@host> \nerror: line of 1000005 characters (at most 65536).\n" in out
    assert "user@host> show security pki crl\nCA profile: ms-ca\n" in out
    assert stdin.longest <= 65537
