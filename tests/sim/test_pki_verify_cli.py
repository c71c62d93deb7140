"""`ikesim pki verify` on real files: verdicts, exit statuses, and real CRL downloads."""

import datetime as dt
import functools
import http.server
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.hierarchy import FIGURE4_START, CAHierarchy, figure4_specs
from sim.cli import main
from tests.conftest import FAST_KEY

PEM = serialization.Encoding.PEM
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
    ("yesterday", "not an ISO 8601 time (e.g. 2012-09-17T22:30:00Z)"),
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
