"""Certificates whose public key pki cannot use reach validation as verdicts
(UNSUPPORTED_ALGORITHM, naming the certificate), never as exceptions: an unknown key
algorithm, an EdDSA key (not one Junos uses), as the leaf or as a CA on the path."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed448

from pki.hierarchy import FIGURE4_START
from pki.result import ValidationFailure
from tests.pki.pathworld import (
    defect_scenario,
    ee_under,
    name,
    root,
    under_root,
    with_unknown_key_algorithm,
)

_unknown_algorithm = with_unknown_key_algorithm


def test_leaf_with_an_unknown_key_algorithm():
    root_cert, root_key = root()
    leaf = _unknown_algorithm(ee_under(root_cert, root_key, "Unknown-Key-EE", serial=60),
                              root_key)
    with pytest.raises(Exception, match="Unknown key type"):
        leaf.public_key()  # what cryptography does with it
    result = defect_scenario(leaf).validate()
    assert result.reason is ValidationFailure.UNSUPPORTED_ALGORITHM
    assert result.failed_certificate == leaf
    assert result.message == ("CN=Unknown-Key-EE,O=example,C=us: its public key algorithm "
                              "1.2.840.10045.2.99 is not one Junos uses (RSA, DSA, ECDSA)")


def test_ca_with_an_unknown_key_algorithm_on_the_path():
    root_cert, root_key = root()
    ca_cert, ca_key = under_root("Unknown-Key-CA", ca=True, serial=61)
    ca = _unknown_algorithm(ca_cert, root_key)
    leaf = ee_under(ca, ca_key, "Under-Unknown-EE", serial=62)
    result = defect_scenario(leaf, ca).validate()
    assert result.reason is ValidationFailure.UNSUPPORTED_ALGORITHM
    assert result.failed_certificate == ca
    assert result.message.startswith("CN=Unknown-Key-CA,O=example,C=us: its public key "
                                     "algorithm 1.2.840.10045.2.99 is not one Junos uses")


def test_leaf_with_an_ed448_key():
    root_cert, root_key = root()
    key = ed448.Ed448PrivateKey.generate()
    builder = (x509.CertificateBuilder().subject_name(name("Ed448-EE"))
               .issuer_name(root_cert.subject).public_key(key.public_key())
               .serial_number(63).not_valid_before(FIGURE4_START)
               .not_valid_after(FIGURE4_START + dt.timedelta(days=365)))
    leaf = builder.sign(root_key, hashes.SHA256())
    result = defect_scenario(leaf).validate()
    assert result.reason is ValidationFailure.UNSUPPORTED_ALGORITHM
    assert result.message == ("CN=Ed448-EE,O=example,C=us: its public key algorithm Ed448 "
                              "is not one Junos uses (RSA, DSA, ECDSA)")
