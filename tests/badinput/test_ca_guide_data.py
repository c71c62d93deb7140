"""Bad input for the CA keys the guide's Chapter 11 data needs (`email`, `digest`,
`crl.in-own-certificate`): each refused in one line naming the file, line and key, exit 2,
nothing written."""

from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import pair

ROOT = 'Root-CA: {subject: "C=US, O=Test, CN=Root-CA", key: ecdsa-256,'
ROOT_CRL = 'crl: {url: "http://192.0.2.10/root.crl", lifetime: 1d}}'
CA_A_CRL = 'crl: {url: "http://192.0.2.10/a.crl", lifetime: 1d}}'


def _refused(ikesim, tmp_path, old: str, new: str, *fragments: str) -> None:
    text = pair()
    assert old in text, old
    text = text.replace(old, new, 1)
    (tmp_path / "t.yaml").write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if new.splitlines()[0] in row)
    before = files_under(tmp_path)
    assert_refused(ikesim("run", "t.yaml"), f"t.yaml line {line}:", *fragments)
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("value,shown", [
    ("certadmin", "'certadmin'"),
    ('"a@b@c"', "'a@b@c'"),
    ('"ad min@example.net"', "'ad min@example.net'"),
    ('"\\u00e9@example.net"', "'\u00e9@example.net'"),
    ("[a@b]", "['a@b']"),
    (f'"{"a" * 130}@b"', "is not an e-mail address"),
], ids=["no-at", "two-ats", "space", "non-ascii", "list", "too-long"])
def test_a_ca_email_that_is_not_an_address_is_refused(ikesim, tmp_path, value, shown):
    _refused(ikesim, tmp_path, ROOT, f"{ROOT} email: {value},",
             "cas.Root-CA.email:", shown, "is not an e-mail address")


@pytest.mark.parametrize("value", ["md5", "SHA1", "1"])
def test_a_ca_digest_junos_does_not_sign_with_is_refused(ikesim, tmp_path, value):
    _refused(ikesim, tmp_path, ROOT, f"{ROOT} digest: {value},",
             "cas.Root-CA.digest:", "one of sha1, sha256, sha384, sha512")


def test_in_own_certificate_is_a_flag(ikesim, tmp_path):
    _refused(ikesim, tmp_path, ROOT_CRL, ROOT_CRL[:-2] + ", in-own-certificate: yes please}}",
             "cas.Root-CA.crl.in-own-certificate:", "expected true or false")


def test_only_a_root_carries_its_own_distribution_points(ikesim, tmp_path):
    _refused(ikesim, tmp_path, CA_A_CRL, CA_A_CRL[:-2] + ", in-own-certificate: true}}",
             "cas.CA-A.crl.in-own-certificate:", "only a root CA with a crl url")
