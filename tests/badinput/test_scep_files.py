"""A run folder's SCEP files, edited or planted: load_scep_cas and load_crl_documents refuse
each in one ScepFilesError line naming the file, and never read outside the run folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sim.report.scep_files import MAX_INDEX, ScepFilesError, load_crl_documents, load_scep_cas
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.scenarios import pair

SCEP_CA = ('  Scep-CA: {issuer: Root-CA, subject: "C=US, O=Test, CN=Scep-CA", key: rsa-1024,\n'
           '            scep: {url: "http://192.0.2.10/scep/", challenge-password: x}}')


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    out = tmp_path_factory.mktemp("scep-files") / "run"
    scenario = Scenario.build(parse_topology(pair(cas=SCEP_CA, duration="1m"),
                                             source="t.yaml"), out=out)
    scenario.run()
    scenario.write()
    return out


@pytest.fixture
def folder(pristine, tmp_path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(pristine, target, symlinks=True)
    return target


def _index(folder: Path) -> Path:
    return folder / "pki" / "cas" / "scep" / "scep.json"


def _edit(folder: Path, change) -> None:
    data = json.loads(_index(folder).read_text())
    change(data)
    _index(folder).write_text(json.dumps(data))


def _refused(folder: Path, *fragments: str, load=load_scep_cas) -> str:
    with pytest.raises(ScepFilesError) as caught:
        load(folder)
    text = str(caught.value)
    assert "\n" not in text and text.isprintable()
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


def test_the_pristine_folder_loads(folder):
    assert list(load_scep_cas(folder)) == ["http://192.0.2.10/scep/"]


@pytest.mark.parametrize(("data", "fragment"), [
    (b"{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[]", 'expected {"cas"'),
    (b'{"cas": {}, "crls": {}, "more": 1}', 'expected {"cas"'),
    (b"[" * 100_000, "not JSON"),
])
def test_damaged_index(folder, data, fragment):
    _index(folder).write_bytes(data)
    _refused(folder, "scep.json", fragment)


def test_oversized_index_is_refused_unread(folder):
    _index(folder).write_bytes(b" " * (MAX_INDEX + 1))
    _refused(folder, "scep.json")


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda d: d["cas"].update({"../../etc": d["cas"]["Scep-CA"]}), "CA '../../etc'"),
    (lambda d: d["cas"]["Scep-CA"].update(url="ftp://x/"), "an http URL without a query"),
    (lambda d: d["cas"]["Scep-CA"].update(pending_polls=True), "pending_polls missing or not"),
    (lambda d: d["cas"]["Scep-CA"].update(pending_polls=10**9), "out of range"),
    (lambda d: d["cas"]["Scep-CA"].update(issued=-1), "out of range"),
    (lambda d: d["cas"]["Scep-CA"].update(validity_s="1y"), "validity_s is not"),
    (lambda d: d["cas"]["Scep-CA"].update(chain=["../Root-CA"]), "CA '../Root-CA'"),
    (lambda d: d["cas"]["Scep-CA"].update(chain="Root-CA"), "chain is not a list"),
    (lambda d: d["cas"]["Scep-CA"].update(digest="md5"), "digest is not one of"),
    (lambda d: d["cas"]["Scep-CA"].update(challenge_password="a\nb"), "challenge-password"),
    (lambda d: d["cas"].update({"Root-CA": d["cas"]["Scep-CA"]}), "key.pem: no such file"),
    (lambda d: d["cas"].update({"Scep-CA": []}), "expected a mapping"),
])
def test_edited_index(folder, change, fragment):
    _edit(folder, change)
    _refused(folder, fragment)


def test_key_of_another_ca(folder):
    scep = folder / "pki" / "cas" / "scep"
    (scep / "Root-CA").mkdir()
    shutil.copy(scep / "Scep-CA" / "key.pem", scep / "Root-CA" / "key.pem")
    _edit(folder, lambda d: d["cas"].update(
        {"Root-CA": {**d["cas"]["Scep-CA"], "url": "http://192.0.2.10/r/"}}))
    _refused(folder, "Root-CA/key.pem is not the RSA key of Root-CA's certificate")


def test_key_is_not_a_key(folder):
    scep = folder / "pki" / "cas" / "scep"
    (scep / "Scep-CA" / "key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                                b"-----END PRIVATE KEY-----\n")
    _refused(folder, "key.pem is not an unencrypted PEM private key")


def test_key_symlinked_out_of_the_run_folder(folder, tmp_path):
    outside = tmp_path / "elsewhere.pem"
    key = folder / "pki" / "cas" / "scep" / "Scep-CA" / "key.pem"
    outside.write_bytes(key.read_bytes())
    key.unlink()
    key.symlink_to(outside)
    _refused(folder, "key.pem")


def test_ca_certificate_missing(folder):
    (folder / "pki" / "cas" / "Scep-CA.pem").unlink()
    _refused(folder, "Scep-CA.pem")


def test_ca_certificate_is_a_fifo(folder):
    pem = folder / "pki" / "cas" / "Scep-CA.pem"
    pem.unlink()
    os.mkfifo(pem)
    _refused(folder, "Scep-CA.pem")


def test_damaged_crl(folder):
    (folder / "pki" / "cas" / "Root-CA.crl").write_bytes(b"-----BEGIN X509 CRL-----\n")
    _refused(folder, "Root-CA.crl is not a PEM CRL", load=load_crl_documents)


def test_crl_url_with_control_characters(folder):
    _edit(folder, lambda d: d["crls"].update({"Root-CA": ["http://x/\x1b[2J"]}))
    _refused(folder, "a CRL URL is not printable ASCII", load=load_crl_documents)
