"""The bad-input corpus of a CA's `ocsp:` entry: each refused in one line naming the file and
line, exit 2, nothing written."""

from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import pair

BASE = pair()
CA_B = 'crl: {url: "http://192.0.2.10/b.crl", lifetime: 1d}}'


def _with_ocsp(entry: str) -> str:
    assert CA_B in BASE
    return BASE.replace(CA_B, f'crl: {{url: "http://192.0.2.10/b.crl", lifetime: 1d}},\n'
                              f'                    ocsp: {entry}}}', 1)


@pytest.mark.parametrize("entry, message", [
    ('{url: "ldap://192.0.2.10/ocsp"}',
     "cas.CA-B.ocsp.url: 'ldap://192.0.2.10/ocsp' is not an http URL such as "
     "http://203.0.113.10/ocsp"),
    ('{url: "http://192.0.2.99/ocsp"}',
     "cas.CA-B.ocsp.url: host 192.0.2.99 is not a server of this topology (servers:)"),
    ('{url: "http://192.0.2.10/ocsp", responder: bank}',
     "cas.CA-B.ocsp.responder: 'bank': one of ca, delegated"),
    ('{url: "http://192.0.2.10/ocsp", nocheck: true}',
     "cas.CA-B.ocsp.nocheck: only a delegated responder's certificate carries ocsp-nocheck"),
    ('{url: "http://192.0.2.10/ocsp", responder: delegated, nocheck: "yes"}',
     "cas.CA-B.ocsp.nocheck: 'yes': expected true or false"),
    ('{responder: ca}', "cas.CA-B.ocsp.url: missing"),
    ('{url: "http://192.0.2.10/ocsp", signer: ca}', "cas.CA-B.ocsp.signer: unknown entry"),
    ('{url: "http://192.0.2.10/\\nocsp"}', "cas.CA-B.ocsp.url: "),
    ('[http://192.0.2.10/ocsp]', "cas.CA-B.ocsp: expected a mapping"),
], ids=["ldap", "no-such-server", "responder-kind", "nocheck-ca", "nocheck-not-bool",
        "no-url", "unknown-key", "newline", "not-a-mapping"])
def test_bad_ocsp_entry_is_one_line(ikesim, tmp_path, entry, message):
    text = _with_ocsp(entry)
    (tmp_path / "t.yaml").write_text(text)
    before = files_under(tmp_path)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "ocsp:" in row)
    outcome = ikesim("run", "t.yaml")
    refusal = assert_refused(outcome, f"t.yaml line {line}:", message)
    assert refusal.startswith(f"ikesim: t.yaml line {line}: cas.CA-B.ocsp")
    assert files_under(tmp_path) == before
