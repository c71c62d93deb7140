"""`ikesim pki verify` on real files: verdicts, exit statuses, and real CRL downloads."""

import datetime as dt
import functools
import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from pki.hierarchy import FIGURE4_START, CAHierarchy, figure4_specs
from sim.cli.main import main
from sim.cli.pki import _download
from sim.world.crl_fetch import FetchFailure, fetch_crl
from tests.conftest import FAST_KEY

PEM = serialization.Encoding.PEM
ROOT = Path(__file__).resolve().parents[2]
AT = FIGURE4_START + dt.timedelta(days=36)


@pytest.fixture
def crl_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/www; yields its base URL."""
    www = tmp_path / "www"
    (www / "crl").mkdir(parents=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", www
    finally:
        server.shutdown()
        server.server_close()


def _pki(tmp_path, crl_base="http://10.157.88.230:8080/crl"):
    h = CAHierarchy(figure4_specs(key=FAST_KEY, crl_base=crl_base), start=FIGURE4_START, seed=2)
    h.issue_end_entity("Sales-CA", "Host-B", key=FAST_KEY, subject="CN=Host-B,O=PKI,C=US")
    files = {}
    for name in ("Root-CA", "Sales-CA", "Host-B"):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(h.certificate(name).public_bytes(PEM))
    for ca in ("Root-CA", "Sales-CA"):
        files[f"{ca}.crl"] = tmp_path / f"{ca}.crl"
        files[f"{ca}.crl"].write_bytes(h.crl(ca, at=AT).public_bytes(PEM))
    return h, files


def _verify(files, *extra):
    return main(["pki", "verify", str(files["Host-B"]), "--ca", str(files["Root-CA"]),
                 "--untrusted", str(files["Sales-CA"]), "--at", AT.isoformat(), *extra])


def test_valid_certificate(tmp_path, capsys):
    _, f = _pki(tmp_path)
    assert _verify(f, "--crl", str(f["Root-CA.crl"]), "--crl", str(f["Sales-CA.crl"])) == 0
    assert capsys.readouterr().out == "Local certificate Host-B verification success\n"


def test_certificate_id_names_the_verdict(tmp_path, capsys):
    _, f = _pki(tmp_path)
    assert _verify(f, "--no-revocation", "--certificate-id", "hostb") == 0
    assert capsys.readouterr().out == "Local certificate hostb verification success\n"


def test_revoked_certificate_exits_1(tmp_path, capsys):
    h, f = _pki(tmp_path)
    h.revoke("Host-B", at=AT - dt.timedelta(hours=1), reason=x509.ReasonFlags.key_compromise)
    f["Sales-CA.crl"].write_bytes(h.crl("Sales-CA", at=AT).public_bytes(PEM))
    assert _verify(f, "--crl", str(f["Root-CA.crl"]), "--crl", str(f["Sales-CA.crl"])) == 1
    out = capsys.readouterr().out
    assert out.startswith("Local certificate Host-B verification failed: ")
    assert "revoked" in out


def test_missing_crl_without_fetch_exits_1_and_names_the_url(tmp_path, capsys):
    _, f = _pki(tmp_path)
    assert _verify(f, "--crl", str(f["Root-CA.crl"])) == 1
    out = capsys.readouterr().out
    assert out.startswith("Local certificate Host-B verification failed: ")
    assert "CRL" in out


@pytest.mark.parametrize("flag", ["--ca", "--untrusted", "--crl"])
def test_malformed_file_exits_2_with_one_line(tmp_path, capsys, flag):
    _, f = _pki(tmp_path)
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    assert _verify(f, flag, str(bad)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ikesim: {bad}: not a valid ")
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(("at", "problem"), [
    ("yesterday", "not an ISO 8601 time (e.g. 2012-09-17T22:30:00Z), nor scenario or "
                  "scenario+OFFSET (e.g. scenario+9m: a run's clock)"),
    ("0001-01-01", "outside the years 1950 to 9998 (UTC) that validation uses"),
    ("9999-12-31T23:59:59", "outside the years 1950 to 9998 (UTC) that validation uses"),
    # Converting to UTC alone overflows datetime here.
    ("0001-01-01T00:00:00+14:00", "outside the years 1950 to 9998 (UTC) that validation uses"),
    ("9999-12-31T23:59:59-14:00", "outside the years 1950 to 9998 (UTC) that validation uses"),
])
def test_bad_time_exits_2_with_one_line(tmp_path, capsys, at, problem):
    _, f = _pki(tmp_path)
    assert main(["pki", "verify", str(f["Host-B"]), "--ca", str(f["Root-CA"]), "--at", at]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"ikesim: --at '{at}': {problem}\n"
    assert captured.out == ""


def test_fetch_downloads_the_crls_from_the_cdps(tmp_path, capsys, crl_server):
    base, www = crl_server
    _, f = _pki(tmp_path, crl_base=f"{base}/crl")
    (www / "crl" / "Root.crl").write_bytes(f["Root-CA.crl"].read_bytes())
    (www / "crl" / "Sales.crl").write_bytes(f["Sales-CA.crl"].read_bytes())
    assert _verify(f, "--fetch") == 0
    out = capsys.readouterr().out
    assert f"CRL downloaded from {base}/crl/Sales.crl\n" in out
    assert out.endswith("Local certificate Host-B verification success\n")


def test_fetch_failure_is_reported_and_fails(tmp_path, capsys, crl_server):
    base, www = crl_server
    _, f = _pki(tmp_path, crl_base=f"{base}/crl")
    (www / "crl" / "Root.crl").write_bytes(f["Root-CA.crl"].read_bytes())
    assert _verify(f, "--fetch") == 1
    out = capsys.readouterr().out
    assert f"CRL download from {base}/crl/Sales.crl failed: HTTP 404" in out
    assert "Local certificate Host-B verification failed: " in out


# -- what certificates and CRL servers say is never trusted ----------------------------------


def test_a_subject_with_control_characters_cannot_forge_a_line(tmp_path, capsys):
    h, f = _pki(tmp_path)
    forged = "Host-B\nLocal certificate X verification success\x1b[2J"
    evil = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, forged)])
    h.issue_end_entity("Sales-CA", "Evil", key=FAST_KEY, subject=evil)
    f["Host-B"].write_bytes(h.certificate("Evil").public_bytes(PEM))
    assert _verify(f, "--crl", str(f["Root-CA.crl"])) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("Local certificate Host-B verification failed: CN=Host-B Local "
                          "certificate X verification success^[[2J: no CRL from ")


@pytest.fixture
def hostile_server(tmp_path):
    """An HTTP server that redirects /ftp to an FTP URL, answers /odd with a reason
    phrase holding an escape sequence, drips /slow one byte every 50 ms and /slow-headers one
    header line every 50 ms (counting them in `hostile_server.dripped`)."""
    dripped: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            if self.path == "/ftp":
                self.send_response(302)
                self.send_header("Location", "ftp://127.0.0.1/crl")
                self.end_headers()
            elif self.path == "/odd":
                self.send_response(404, "Not\x1b[2JFound")
                self.end_headers()
            elif self.path == "/many-headers":
                self.wfile.write(b"HTTP/1.0 200 OK\r\n" + b"X-Many: 1\r\n" * 200 + b"\r\n")
            elif self.path == "/slow-headers":
                self.wfile.write(b"HTTP/1.0 200 OK\r\n")
                for number in range(1000):
                    self.wfile.write(b"X-Drip-%d: 1\r\n" % number)
                    self.wfile.flush()
                    dripped.append(number)
                    time.sleep(0.05)
            else:
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    self.wfile.write(b"0")
                    self.wfile.flush()
                    time.sleep(0.05)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A client that gave up leaves a dripping handler with a broken pipe: not worth a
    # traceback on the suite's stderr.
    server.handle_error = lambda request, client_address: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _Base(f"http://127.0.0.1:{server.server_address[1]}", dripped)
    finally:
        server.shutdown()
        server.server_close()


class _Base(str):
    """The server's base URL, with what it has dripped so far."""

    def __new__(cls, url: str, dripped: list[int]) -> "_Base":
        base = super().__new__(cls, url)
        base.dripped = dripped
        return base


def test_a_redirect_to_another_scheme_is_not_followed(hostile_server):
    got = fetch_crl(f"{hostile_server}/ftp")
    assert isinstance(got, FetchFailure)
    assert got.problem == "download failed (redirected to a non-HTTP URL (ftp://127.0.0.1/crl))"


def test_a_server_reason_phrase_is_escaped(tmp_path, capsys, hostile_server):
    assert _download((f"{hostile_server}/odd",), set()) is None
    out = capsys.readouterr().out
    assert out == f"CRL download from {hostile_server}/odd failed: HTTP 404 Not^[[2JFound\n"


def test_a_slow_server_meets_the_deadline(hostile_server):
    got = fetch_crl(f"{hostile_server}/slow", deadline=0.3)
    assert got == FetchFailure(f"{hostile_server}/slow", "download took more than 0.3 s")


def test_inherited_dsa_parameters_on_real_files(tmp_path, capsys):
    """PKITS 4.1.5's situation on files: the intermediate and the leaf omit their DSA
    parameters; the intermediate's CRL is signed with the inherited ones."""
    from tests.pki.pathworld import AT as DSA_AT
    from tests.pki.pathworld import dsa_world

    w = dsa_world()
    for name in ("root", "intermediate", "ee"):
        (tmp_path / f"{name}.der").write_bytes(w.der[name])
    (tmp_path / "ca.crl").write_bytes(w.crl.public_bytes(PEM))
    (tmp_path / "root.crl").write_bytes(w.root_crl.public_bytes(PEM))
    argv = ["pki", "verify", str(tmp_path / "ee.der"), "--ca", str(tmp_path / "root.der"),
            "--untrusted", str(tmp_path / "intermediate.der"), "--crl", str(tmp_path / "ca.crl"),
            "--crl", str(tmp_path / "root.crl"), "--at", DSA_AT.isoformat()]
    assert main(argv) == 0
    assert capsys.readouterr().out == "Local certificate ee verification success\n"


def test_demo_into_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("mine")
    assert main(["pki", "demo", "--out", str(tmp_path / "afile")]) == 2
    assert capsys.readouterr().err == (f"ikesim: --out {tmp_path / 'afile'}: cannot write the "
                                       f"demo there (Not a directory)\n")
    assert (tmp_path / "afile").read_text() == "mine"


def test_demo_replaces_a_planted_symlink_instead_of_following_it(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (tmp_path / "victim").write_text("precious")
    (out / "Host-A.pem").symlink_to(tmp_path / "victim")
    assert main(["pki", "demo", "--out", str(out)]) == 0
    assert (tmp_path / "victim").read_text() == "precious"
    assert not (out / "Host-A.pem").is_symlink()
    assert (out / "Host-A.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_a_certificate_whose_serial_is_not_positive_is_refused_in_one_line(tmp_path, capsys):
    """cryptography only warns about it (four lines on stderr); RFC 5280 4.1.2.2 says a serial
    is positive, and ikesim refuses it as it refuses it in a peer's CERT payload."""
    from pki import der

    _, f = _pki(tmp_path)
    cert = x509.load_pem_x509_certificate(f["Host-B"].read_bytes())
    tbs, algorithm, signature = der.read_one(
        cert.public_bytes(serialization.Encoding.DER)).children()
    fields = tbs.children()
    fields[1] = der.Element(tag=der.INTEGER, content=b"\xff", encoding=b"\x02\x01\xff")  # -1
    negative = der.encode(der.SEQUENCE, der.encode(
        der.SEQUENCE, b"".join(e.encoding for e in fields)) + algorithm.encoding
        + signature.encoding)
    f["Host-B"].write_bytes(negative)
    # In a process of its own: the suite turns cryptography's warnings into errors itself.
    done = subprocess.run(
        [sys.executable, "-m", "sim", "pki", "verify", str(f["Host-B"]), "--ca",
         str(f["Root-CA"]), "--untrusted", str(f["Sales-CA"]), "--no-revocation"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"ikesim: {f['Host-B']}: not a valid certificate (")


def test_a_server_dripping_its_headers_meets_the_deadline(hostile_server):
    """The deadline covers the whole download, headers too (each line arrives well within the
    per-read timeout)."""
    got = fetch_crl(f"{hostile_server}/slow-headers", deadline=0.3)
    assert got == FetchFailure(f"{hostile_server}/slow-headers",
                               "download took more than 0.3 s")
    assert len(hostile_server.dripped) < 1000  # it answered while the server still dripped


def test_a_server_sending_too_many_headers_is_a_failed_download(hostile_server):
    got = fetch_crl(f"{hostile_server}/many-headers")
    assert got == FetchFailure(f"{hostile_server}/many-headers",
                               "download failed (got more than 100 headers)")
