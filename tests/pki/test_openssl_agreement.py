"""`openssl verify` on the same files agrees with pki.validate_path's verdict.

The scenarios are those of test_validate_path; each is written out as PEM files and given to
`openssl verify -attime` (epoch seconds) with the same anchors, pool and CRLs.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from pki.certs import is_self_signed
from tests.openssl import needs_openssl
from tests.pki.test_validate_path import CASES

OPENSSL = shutil.which("openssl")

# Verdicts openssl cannot be asked for, and why.
NOT_COMPARABLE = {
    # openssl has no per-CA "revocation-check disable".
    "crl-missing-exempt-ca",
    # With -crl_check_all openssl also wants a CRL for a partial-chain trust anchor (RFC 5280
    # does not check the anchor, and neither do we).
    "host-a-eng-ca-only-anchor",
    "host-a-dev-ca-only-anchor",
}

COMPARED = [case for case in CASES if case[0] not in NOT_COMPARABLE]


def _pem(certs) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _openssl_verdict(scenario, tmp_path) -> tuple[bool, str]:
    options = scenario.options
    (tmp_path / "anchors.pem").write_bytes(_pem(scenario.anchors))
    (tmp_path / "leaf.pem").write_bytes(_pem([scenario.leaf]))
    command = [OPENSSL, "verify", "-attime", str(int(scenario.at.timestamp())),
               "-CAfile", str(tmp_path / "anchors.pem"), "-policy_check"]
    # openssl does not backtrack from a self-signed certificate met in the untrusted pool (it
    # stops with "self-signed certificate in certificate chain" instead of trying the cross
    # certificate), so it gets the pool without them, as a peer would send it.
    pool = [cert for cert in scenario.pool if not is_self_signed(cert)]
    if pool:
        (tmp_path / "pool.pem").write_bytes(_pem(pool))
        command += ["-untrusted", str(tmp_path / "pool.pem")]
    if options.get("check_revocation", True):
        (tmp_path / "crls.pem").write_bytes(_pem(scenario.crls))
        command += ["-crl_check_all", "-CRLfile", str(tmp_path / "crls.pem")]
    if not all(is_self_signed(anchor) for anchor in scenario.anchors):
        command.append("-partial_chain")
    # openssl's depth counts neither the leaf nor the anchor.
    command += ["-verify_depth", str(options.get("max_chain_length", 10) - 2)]
    command.append(str(tmp_path / "leaf.pem"))
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return done.returncode == 0, done.stdout + done.stderr


@needs_openssl
@pytest.mark.parametrize(("make", "reason", "length"), [c[1:] for c in COMPARED],
                         ids=[c[0] for c in COMPARED])
def test_openssl_agrees(make, reason, length, tmp_path):
    """openssl accepts exactly the paths we accept."""
    scenario = make()
    ours = scenario.validate()
    theirs, output = _openssl_verdict(scenario, tmp_path)
    assert ours.ok is (reason is None)
    assert theirs is ours.ok, f"openssl: {output.strip()} / ours: {ours.message}"
