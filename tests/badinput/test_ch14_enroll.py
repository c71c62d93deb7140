"""Bad input to the enrollment commands in `ikesim cli`: a run folder whose SCEP files were
tampered with, a `scep/` folder or e-mail target planted as a link, a CA bundle that is no
bundle. Each is one `error:` line in the session, no traceback, and nothing changes outside
what the command may write."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from sim.cli.main import main
from tests.badinput.conftest import files_under

ROOT = Path(__file__).resolve().parents[2]
ENROLL_ROOT = "request security pki ca-certificate enroll ca-profile Root-CA"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("ch14-bad") / "run"
    assert main(["run", str(ROOT / "topologies" / "chapter14-fresh.yaml"),
                 "--out", str(run_dir)]) == 0
    return run_dir


@pytest.fixture
def run_dir(fresh, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(fresh, copy, symlinks=True)
    return copy


def session(monkeypatch, capsys, run_dir: Path, *lines: str) -> list[str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    assert main(["cli", str(run_dir), "Host-A"]) == 0
    out = capsys.readouterr().out
    assert "Traceback" not in out
    return out.splitlines()


@pytest.mark.parametrize("damage", [
    lambda scep: (scep / "scep.json").write_text("{not json"),
    lambda scep: (scep / "scep.json").write_bytes(b"x" * 5_000_000),
    lambda scep: (scep / "Root-CA" / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n"),
    lambda scep: (scep / "Root-CA" / "key.pem").unlink(),
])
def test_tampered_scep_files_are_the_enrollment_error_line(run_dir, monkeypatch, capsys,
                                                           damage):
    damage(run_dir / "pki" / "cas" / "scep")
    before = files_under(run_dir)
    out = session(monkeypatch, capsys, run_dir, ENROLL_ROOT)
    assert out[1].startswith("error: CA certificate enrollment failed: CA profile Root-CA: "
                             "no answer from http://10.157.88.230:8080/scep/Root/ (")
    assert len(out) == 3  # the echoed command, the one line, the next prompt
    assert files_under(run_dir) == before


def test_a_scep_folder_linked_out_of_the_run_folder_is_refused(run_dir, tmp_path, monkeypatch,
                                                                capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (run_dir / "scep").symlink_to(outside)
    before = files_under(run_dir)
    out = session(monkeypatch, capsys, run_dir,
                  "request security pki ca-certificate enroll ca-profile Dev-CA", "yes")
    assert [line for line in out if line.startswith("error: ")] == [
        f"error: {run_dir / 'scep'}: leaves the folder {run_dir}"]
    assert list(outside.iterdir()) == []
    assert files_under(run_dir) == before  # the CA certificate was not loaded either


def test_an_email_target_that_is_a_link_writes_neither_file(run_dir, tmp_path, monkeypatch,
                                                            capsys):
    config = run_dir / "devices" / "Host-A" / "config"
    config.write_text(config.read_text() + "set security pki ca-profile Dev-CA administrator "
                                           "e-mail-address certadmin@example.net\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    secret = tmp_path / "secret"
    secret.write_text("keep\n")
    (work / "req.eml").symlink_to(secret)
    out = session(monkeypatch, capsys, run_dir,
                  "request security pki generate-key-pair certificate-id Host-A",
                  "request security pki generate-certificate-request certificate-id Host-A "
                  "subject CN=Host-A domain-name host-a.example.net filename req")
    assert out[-2] == ("error: req.eml: is a symbolic link; ikesim neither writes through "
                       "nor replaces it")
    assert not (work / "req").exists() and secret.read_text() == "keep\n"


@pytest.mark.parametrize(("content", "error"), [
    (b"\x30\x82\x01\x00" * 10, "no PEM certificate (-----BEGIN CERTIFICATE-----) in the file"),
    (b"-----BEGIN CERTIFICATE-----\n" * 3000, "3000 certificates; a ca-profile-group holds at "
                                             "most 2000"),
    (b"-----BEGIN CERTIFICATE-----\n\x1b[2J" * 3, None),
])
def test_hostile_bundles(run_dir, tmp_path, monkeypatch, capsys, content, error):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bundle.pem").write_bytes(content)
    line = ("request security pki ca-certificate ca-profile-group load ca-group-name g "
            "filename bundle.pem")
    out = session(monkeypatch, capsys, run_dir, line, "yes")
    if error is not None:
        assert out[1] == f"error: bundle.pem: {error}"
        return
    # Three damaged blocks: each skipped with its reason, nothing loaded, nothing unescaped.
    assert out[-2] == "ca-profile-group 'g' successfully loaded. Success[0] Skipped[3]"
    assert all("\x1b" not in line for line in out)


def test_a_bundle_that_is_a_fifo_or_too_big_is_refused_unread(run_dir, tmp_path, monkeypatch,
                                                              capsys):
    import os

    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo.pem")
    with open(tmp_path / "big.pem", "wb") as big:
        big.truncate(6 * 1024 * 1024)
    out = session(monkeypatch, capsys, run_dir,
                  *(f"request security pki ca-certificate ca-profile-group load ca-group-name g "
                    f"filename {name}" for name in ("fifo.pem", "big.pem")))
    errors = [line for line in out if line.startswith("error: ")]
    assert len(errors) == 2
    assert errors[0].startswith("error: fifo.pem: ") and errors[1].startswith("error: big.pem: ")
