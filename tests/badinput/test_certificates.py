"""Bad certificate, CRL, PKCS#7 and key files: `ikesim pki verify` and `request security pki
... load` refuse each in one line naming the file and the problem (exit 2 for `pki verify`, an
`error:` line for the device), and nothing already loaded is lost. The files are real
certificates and CRLs, damaged here; special files (FIFO, /dev/zero, loops) are made in
tmp_path.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pki import der
from pki.hierarchy import FIGURE4_START, CAHierarchy, figure4_specs
from pki.keys import generate_key_pair
from pki.store import CertificateStore
from sim.cli.main import main
from sim.report.run_folder import mark
from tests.badinput.conftest import assert_refused, files_under
from tests.conftest import FAST_KEY
from tests.junos.ops_states import state
from tests.pki.budget import budget

PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER
AT = FIGURE4_START + dt.timedelta(days=36)
WHEN = AT.strftime("%Y-%m-%dT%H:%M:%SZ")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Which file each role of `pki verify` names; a test puts a bad file in one role.
ROLES = {"leaf": "Host-B.pem", "ca": "Root-CA.pem", "untrusted": "Sales-CA.pem",
         "crl": "Sales-CA.crl"}


@pytest.fixture(scope="module")
def world() -> CAHierarchy:
    h = CAHierarchy(figure4_specs(key=FAST_KEY), start=FIGURE4_START, seed="badinput")
    h.issue_end_entity("Sales-CA", "Host-B", key=FAST_KEY, subject="CN=Host-B,O=PKI,C=US")
    return h


@pytest.fixture
def good(tmp_path: Path, world: CAHierarchy) -> dict[str, bytes]:
    """The good files, written in tmp_path (the ikesim fixture's current directory)."""
    contents = {
        "Host-B.pem": world.certificate("Host-B").public_bytes(PEM),
        "Root-CA.pem": world.certificate("Root-CA").public_bytes(PEM),
        "Sales-CA.pem": world.certificate("Sales-CA").public_bytes(PEM),
        "Root-CA.crl": world.crl("Root-CA", at=AT).public_bytes(PEM),
        "Sales-CA.crl": world.crl("Sales-CA", at=AT).public_bytes(PEM),
    }
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    return contents


def verify(ikesim, **replace: str):
    """`ikesim pki verify` on the good files, with `replace[role]` naming another file."""
    names = {**ROLES, **replace}
    return ikesim("pki", "verify", names["leaf"], "--ca", names["ca"],
                  "--untrusted", names["untrusted"], "--crl", "Root-CA.crl",
                  "--crl", names["crl"], "--at", WHEN)


def _pem(label: str, data: bytes) -> bytes:
    return (f"-----BEGIN {label}-----\n".encode() + base64.encodebytes(data)
            + f"-----END {label}-----\n".encode())


def test_the_good_files_verify(ikesim, good):
    outcome = verify(ikesim)
    assert (outcome.code, outcome.out, outcome.err) == (
        0, "Local certificate Host-B verification success\n", "")


# -- damaged, truncated and garbage content --------------------------------------------------


def _damaged_der(good: dict[str, bytes], name: str) -> bytes:
    """The DER of `name` with its first inner element's length one byte too long."""
    is_crl = name.endswith(".crl")
    obj = (x509.load_pem_x509_crl if is_crl else x509.load_pem_x509_certificate)(good[name])
    data = bytearray(obj.public_bytes(DER))
    offset = 4 if data[1] == 0x82 else 3  # the to-be-signed SEQUENCE's tag
    data[offset + 3] += 1  # its two length bytes follow 0x82
    return bytes(data)


CONTENT = {
    # name: (what goes in the file, given the good one; the problem in the error line)
    "damaged-der-in-pem": (lambda good, name: _pem("X509 CRL" if name.endswith(".crl")
                                                   else "CERTIFICATE",
                                                   _damaged_der(good, name)),
                           "damaged DER"),
    "damaged-der": (_damaged_der, "damaged DER"),
    "truncated-pem": (lambda good, name: good[name][: len(good[name]) // 2],
                      "damaged PEM: MalformedFraming"),
    "truncated-der": (lambda good, name: _damaged_der(good, name)[:200], "damaged DER"),
    "garbage": (lambda good, name: bytes(range(256)) * 3, "damaged DER"),
    "text": (lambda good, name: b"this is not a certificate\n", "damaged DER"),
    "empty": (lambda good, name: b"", "is empty"),
    "blank": (lambda good, name: b"\n \n", "is empty"),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CONTENT)
def test_bad_content_is_refused_in_one_line(ikesim, tmp_path, good, role, case):
    make, problem = CONTENT[case]
    (tmp_path / "bad").write_bytes(make(good, ROLES[role]))
    what = "CRL" if role == "crl" else "certificate"
    fragments = ("bad: ", problem) if problem == "is empty" else \
        (f"bad: not a valid {what} (", problem)
    assert_refused(verify(ikesim, **{role: "bad"}), *fragments)


@pytest.mark.parametrize("role", ROLES)
@settings(max_examples=budget(60), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_changed_character_is_a_verdict_or_one_line(ikesim, tmp_path, good, role, data):
    """A PEM whose base64 still decodes but whose DER is damaged: exit 2 naming the file when
    the DER no longer parses, else a verdict (0 or 1) on stdout; never a traceback (the
    fixture fails the test on any exception) and never both."""
    name = ROLES[role]
    lines = good[name].decode().splitlines(keepends=True)
    row = data.draw(st.integers(1, len(lines) - 2), label="line")
    column = data.draw(st.integers(0, len(lines[row].rstrip("\n=")) - 1), label="column")
    char = data.draw(st.sampled_from(B64), label="char")
    lines[row] = lines[row][:column] + char + lines[row][column + 1:]
    (tmp_path / "bad.pem").write_text("".join(lines))
    outcome = verify(ikesim, **{role: "bad.pem"})
    if outcome.code == 2:
        assert_refused(outcome, "bad.pem: ")
        assert outcome.out == ""
    else:
        assert outcome.code in (0, 1) and outcome.err == ""
        name = "bad" if role == "leaf" else "Host-B"
        assert outcome.out.startswith(f"Local certificate {name} verification ")
        assert outcome.out.count("\n") == 1


def test_an_unknown_key_algorithm_is_a_verdict_not_a_traceback(ikesim, tmp_path, good):
    """One damaged byte in the trust anchor's key algorithm (cryptography: `Unknown key
    type`): the certificate parses, its key cannot be used."""
    anchor = x509.load_pem_x509_certificate(good["Root-CA.pem"]).public_bytes(DER)
    ec_public_key = bytes.fromhex("06072a8648ce3d0201")
    assert anchor.count(ec_public_key) == 1
    (tmp_path / "anchor.pem").write_bytes(
        _pem("CERTIFICATE", anchor.replace(ec_public_key, ec_public_key[:-1] + b"\x63")))
    outcome = verify(ikesim, ca="anchor.pem")
    assert outcome.code == 1 and outcome.err == ""
    assert outcome.out == ("Local certificate Host-B verification failed: CN=Root-CA,"
                           "O=example,C=us: its public key algorithm 1.2.840.10045.2.99 is not "
                           "one Junos uses (RSA, DSA, ECDSA)\n")


# -- sizes -------------------------------------------------------------------------------------


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        out.truncate(size)


@pytest.mark.parametrize(("role", "size", "limit"), [
    # A CRL file may hold a 5 MB CRL as PEM (7,099,798 bytes); the CRL itself is held to 5 MB
    # once read (tests/pki/test_loaders.py).
    ("crl", 7099798 + 1, 7099798),
    ("crl", 256 * 1024 ** 2, 7099798),  # refused from its size, before reading
    ("leaf", 1024 * 1024 + 1, 1024 * 1024),
    ("ca", 1024 * 1024 + 1, 1024 * 1024),
    ("untrusted", 1024 * 1024 + 1, 1024 * 1024),
])
def test_oversize_files_are_refused_before_reading(ikesim, tmp_path, good, role, size, limit):
    _sparse(tmp_path / "big", size)
    assert_refused(verify(ikesim, **{role: "big"}),
                   f"big: is {size} bytes; the limit is {limit} bytes")


@pytest.mark.parametrize("role", ["ca", "untrusted"])
def test_pkcs7_over_7kb_is_refused(ikesim, tmp_path, world, good, role):
    bundle = pkcs7.serialize_certificates(
        [world.certificate(ca) for ca in world.cas()] * 8, DER)
    assert len(bundle) > 7 * 1024
    (tmp_path / "cas.p7b").write_bytes(bundle)
    assert_refused(verify(ikesim, **{role: "cas.p7b"}),
                   f"cas.p7b: PKCS#7 file is {len(bundle)} bytes; the maximum is 7 KB")


@pytest.mark.parametrize("cut", [40, -20])
def test_damaged_pkcs7_is_refused(ikesim, tmp_path, world, good, cut):
    bundle = pkcs7.serialize_certificates([world.certificate("Sales-CA")], DER)
    (tmp_path / "cas.p7b").write_bytes(bundle[:cut])
    assert_refused(verify(ikesim, untrusted="cas.p7b"),
                   "cas.p7b: not a valid PKCS#7 bundle (")


def test_a_good_pkcs7_bundle_still_loads(ikesim, tmp_path, world, good):
    (tmp_path / "cas.p7b").write_bytes(
        pkcs7.serialize_certificates([world.certificate("Sales-CA")], PEM))
    assert verify(ikesim, untrusted="cas.p7b").code == 0


# -- special files and paths -----------------------------------------------------------------


def _fifo(tmp_path: Path) -> str:
    os.mkfifo(tmp_path / "fifo")
    return "fifo"


def _loop(tmp_path: Path) -> str:
    (tmp_path / "loop-a").symlink_to("loop-b")
    (tmp_path / "loop-b").symlink_to("loop-a")
    return "loop-a"


def _directory(tmp_path: Path) -> str:
    (tmp_path / "folder").mkdir()
    return "folder"


SPECIAL = {
    # name: (make it in tmp_path and give the path to pass, the problem)
    "dev-zero": (lambda tmp_path: "/dev/zero", "/dev/zero: is not a regular file"),
    "fifo": (_fifo, "fifo: is not a regular file"),  # and does not wait for a writer
    "directory": (_directory, "folder: is a directory, not a file"),
    "symlink-loop": (_loop, "loop-a: too many levels of symbolic links"),
    "through-a-file": (lambda tmp_path: "Host-B.pem/x.pem", "Host-B.pem/x.pem: not a directory"),
    "name-too-long": (lambda tmp_path: "n" * 300 + ".pem", ".pem: file name too long"),
    "missing": (lambda tmp_path: "nowhere.pem", "nowhere.pem: no such file"),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", SPECIAL)
def test_special_files_are_refused(ikesim, tmp_path, good, role, case):
    make, problem = SPECIAL[case]
    assert_refused(verify(ikesim, **{role: make(tmp_path)}), problem)


def test_a_file_name_with_control_characters_is_escaped(ikesim, tmp_path, good):
    outcome = verify(ikesim, leaf="evil\n\x1b[2Jname.pem")
    assert_refused(outcome, "evil ^[[2Jname.pem: no such file")


def test_permission_denied(tmp_path, good):
    """As an unprivileged user (root reads anything): a forked child drops to `nobody`."""
    if not hasattr(os, "fork") or os.geteuid() != 0:
        pytest.skip("needs root to become another user in a child process")
    secret = tmp_path / "secret.pem"
    secret.write_bytes(good["Host-B.pem"])
    secret.chmod(0o600)
    tmp_path.chmod(0o755)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.setgid(65534)
            os.setuid(65534)
            err = io.StringIO()
            sys.stderr = err
            code = main(["pki", "verify", str(secret), "--ca", str(secret)])
            os.write(writer, err.getvalue().encode())
        finally:
            os._exit(code)
    os.close(writer)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(reader) as pipe:
        err = pipe.read()
    assert os.waitstatus_to_exitcode(status) == 2
    assert err == f"ikesim: {secret}: permission denied\n"


# -- request security pki local-certificate load: the device keeps what it had -------------


@pytest.fixture
def device_run(tmp_path: Path, world: CAHierarchy) -> Path:
    """A run folder holding device Host-B with its key pair (certificate-id host-b) and a CA
    certificate: what `ikesim cli` works on."""
    key = generate_key_pair(FAST_KEY, seed="badinput/host-b")
    store = (CertificateStore().add_key_pair("host-b", key)
             .add_ca_certificate("Sales-CA", world.certificate("Sales-CA")))
    config = "set security pki ca-profile Sales-CA ca-identity Sales-CA\n"
    run = tmp_path / "run"
    state("Host-B", config=config, store=store, now=AT).save(run)
    mark(run, scenario="badinput", seed=1)
    return run


def _cli(ikesim, monkeypatch, run: Path, *commands: str):
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(c + "\n" for c in commands)))
    return ikesim("cli", str(run), "Host-B")


LOCAL_LOAD = "request security pki local-certificate load certificate-id host-b filename "


@pytest.mark.parametrize(("make", "problem"), [
    (lambda good: good["Host-B.pem"], "certificate does not match the private key of "
                                      "certificate-id host-b"),
    (lambda good: good["Host-B.pem"][:300], "not a valid certificate (damaged PEM"),
    (lambda good: _pem("CERTIFICATE", _damaged_der(good, "Host-B.pem")),
     "not a valid certificate (damaged DER"),
    (lambda good: b"", "is empty"),
], ids=["mismatched-key", "truncated", "damaged", "empty"])
def test_local_certificate_load_refuses_and_keeps_the_device(ikesim, monkeypatch, tmp_path,
                                                             good, device_run, make, problem):
    (tmp_path / "cert.pem").write_bytes(make(good))
    before = files_under(device_run)
    outcome = _cli(ikesim, monkeypatch, device_run, LOCAL_LOAD + "cert.pem")
    errors = [line for line in outcome.out.splitlines() if "error:" in line]
    assert errors == [f"error: cert.pem: {problem}"] if problem.startswith("certificate") \
        else len(errors) == 1 and errors[0].startswith(f"error: cert.pem: {problem}")
    assert "Traceback" not in outcome.err
    assert files_under(device_run) == before


def test_local_certificate_load_with_a_mismatched_key_file(ikesim, monkeypatch, tmp_path, good,
                                                            device_run):
    other = generate_key_pair(FAST_KEY, seed="badinput/other")
    (tmp_path / "cert.pem").write_bytes(good["Host-B.pem"])
    (tmp_path / "other.key").write_bytes(other.private_bytes(
        PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    before = files_under(device_run)
    outcome = _cli(ikesim, monkeypatch, device_run,
                   "request security pki local-certificate load filename cert.pem "
                   "key other.key certificate-id fresh")
    assert "error: cert.pem: certificate does not match the private key of certificate-id " \
           "fresh" in outcome.out.splitlines()
    assert files_under(device_run) == before


@pytest.mark.parametrize("case", ["dev-zero", "fifo", "symlink-loop", "through-a-file"])
def test_device_loads_refuse_special_files(ikesim, monkeypatch, tmp_path, good, device_run,
                                           case):
    make, problem = SPECIAL[case]
    path = make(tmp_path)
    before = files_under(device_run)
    outcome = _cli(ikesim, monkeypatch, device_run, LOCAL_LOAD + path,
                   f"request security pki crl load ca-profile Sales-CA filename {path}")
    errors = [line for line in outcome.out.splitlines() if "error:" in line]
    assert errors == [f"error: {problem}"] * 2
    assert files_under(device_run) == before


def test_device_crl_load_refuses_an_oversize_crl(ikesim, monkeypatch, tmp_path, good,
                                                 device_run):
    _sparse(tmp_path / "big.crl", 64 * 1024 ** 2)
    before = files_under(device_run)
    outcome = _cli(ikesim, monkeypatch, device_run,
                   "request security pki crl load ca-profile Sales-CA filename big.crl")
    assert f"error: big.crl: is {64 * 1024 ** 2} bytes; the limit is 7099798 bytes" in \
        outcome.out.splitlines()
    assert files_under(device_run) == before


def test_the_corpus_uses_real_der(good):
    """The damaged files really are damaged where the test says: the good DER parses."""
    cert = x509.load_pem_x509_certificate(good["Host-B.pem"]).public_bytes(DER)
    assert der.read_one(cert).tag == der.SEQUENCE
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(_damaged_der(good, "Host-B.pem"))
