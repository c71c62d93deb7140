"""`revocation-check ocsp {...}` and `use-ocsp` (12.1X46-D20): modelled, checked, and shown by
`show configuration` as they were typed."""

from __future__ import annotations

import pytest

from pki.profiles import ConfigError, OcspConnectionFailure, RevocationMethod
from pki.store import CertificateStore
from sim.junos.config import parse_config
from sim.junos.ops import execute
from tests.junos.ops_states import at, state

PROFILE = "set security pki ca-profile Sales-CA "
OCSP = f"""\
{PROFILE}ca-identity Sales-CA
{PROFILE}revocation-check ocsp url http://10.0.0.9/ocsp
{PROFILE}revocation-check ocsp url http://10.0.0.10/ocsp
{PROFILE}revocation-check ocsp connection-failure fallback-crl
{PROFILE}revocation-check ocsp nonce-payload disable
{PROFILE}revocation-check ocsp disable-responder-revocation-check
{PROFILE}revocation-check use-ocsp
"""


def test_ocsp_statements_are_modelled():
    config = parse_config(OCSP, source="h")
    check = config.pki.ca_profiles["Sales-CA"].revocation_check
    assert check.method is RevocationMethod.OCSP
    assert check.ocsp.urls == ("http://10.0.0.9/ocsp", "http://10.0.0.10/ocsp")
    assert check.ocsp.connection_failure is OcspConnectionFailure.FALLBACK_CRL
    assert check.ocsp.disable_responder_revocation_check
    assert not check.ocsp.sends_nonce
    assert config.unmodelled == ()


def test_nonce_is_sent_unless_disabled():
    config = parse_config(f"{PROFILE}revocation-check ocsp url http://10.0.0.9/\n", source="h")
    check = config.pki.ca_profiles["Sales-CA"].revocation_check
    assert check.ocsp.sends_nonce
    # The ocsp block alone configures OCSP; CRLs stay the method until use-ocsp.
    assert check.method is RevocationMethod.CRL


def test_show_configuration_round_trips():
    device = state("h", config=OCSP, store=CertificateStore(), now=at("11-20-2012 12:00"))
    assert execute(device, "show configuration security pki").output.splitlines() == [
        "ca-profile Sales-CA {",
        "    ca-identity Sales-CA;",
        "    revocation-check {",
        "        ocsp {",
        "            url [ http://10.0.0.9/ocsp http://10.0.0.10/ocsp ];",
        "            connection-failure fallback-crl;",
        "            nonce-payload disable;",
        "            disable-responder-revocation-check;",
        "        }",
        "        use-ocsp;",
        "    }",
        "}",
    ]
    shown = execute(device, "show configuration security pki | display set").output
    again = parse_config(shown.replace('"', "") + "\n", source="again")
    assert again.pki == parse_config(OCSP, source="h").pki


@pytest.mark.parametrize("lines, message", [
    (["url http://a/", "url http://b/", "url http://c/"],
     "h config line 3: security pki ca-profile Sales-CA revocation-check ocsp url http://c/: "
     "at most 2 URLs can be configured"),
    (["url ldap://a/"],
     "h config line 1: security pki ca-profile Sales-CA revocation-check ocsp url ldap://a/: "
     "value must be an http:// URL"),
])
def test_bad_ocsp_values_are_refused(lines, message):
    text = "".join(f"{PROFILE}revocation-check ocsp {line}\n" for line in lines)
    with pytest.raises(ConfigError) as refused:
        parse_config(text, source="h")
    assert str(refused.value) == message
