"""generate-certificate-request with a CA administrator's address configured (Chapter 11's
ms-ca example): the request file and, beside it, the e-mail to the administrator."""

from __future__ import annotations

import email
import email.policy

from pki.loaders import load_csr
from pki.store import CertificateStore
from sim.junos.ops import execute
from tests.junos.ops_states import MS_CONFIG, at, ms_certificates, state

ADMIN = "set security pki ca-profile ms-ca administrator e-mail-address certadmin@labdomain.com\n"
REQUEST = ('request security pki generate-certificate-request certificate-id ms-cert subject '
           '"CN=John Doe,CN=1.1.1.2,OU=sales,O=Example, L=Sunnyvale,ST=CA,C=US" email '
           'user@example.net filename ms-cert-req')


def device(config: str):
    key = ms_certificates()[3]
    store = CertificateStore().add_key_pair("ms-cert", key)
    return state("Host-A", config=config, store=store, now=at("11- 2-2007 22:50"))


def test_chapter11_request_is_written_as_an_email_to_the_ca_administrator():
    out = execute(device(MS_CONFIG + ADMIN), REQUEST)
    assert [w.path for w in out.writes] == ["ms-cert-req", "ms-cert-req.eml"]
    request, mail = (w.data for w in out.writes)
    assert b"\r\n" in mail and b"\n" not in mail.replace(b"\r\n", b"")  # RFC 5322 line ends
    message = email.message_from_bytes(mail, policy=email.policy.default)
    assert message["To"] == "certadmin@labdomain.com"
    assert message["From"] == "pkid@Host-A"
    assert message["Subject"] == "Certificate request ms-cert from Host-A"
    assert message["Date"] == "Fri, 02 Nov 2007 22:50:00 +0000"  # the device's clock
    assert message["Message-ID"] == "<ms-cert.20071102T225000Z@Host-A>"
    body = message.get_content()
    assert body.replace("\r\n", "\n") == request.decode()
    assert load_csr(body.encode(), source="mail") == out.state.store.requests["ms-cert"]
    # The answer is the guide's, unchanged; the same session writes the same bytes.
    assert out.output.startswith("Generated certificate request\n-----BEGIN CERTIFICATE ")
    assert execute(device(MS_CONFIG + ADMIN), REQUEST).writes == out.writes


def test_no_address_no_terminal_no_email():
    assert [w.path for w in execute(device(MS_CONFIG), REQUEST).writes] == ["ms-cert-req"]
    terminal = REQUEST.replace("filename ms-cert-req", "filename terminal")
    assert execute(device(MS_CONFIG + ADMIN), terminal).writes == ()


OTHER = ("set security pki ca-profile other ca-identity other\n"
         "set security pki ca-profile other administrator e-mail-address pki@other.net\n")


def test_two_addressed_profiles_need_auto_re_enrollment_to_choose():
    out = execute(device(MS_CONFIG + ADMIN + OTHER), REQUEST)
    assert [w.path for w in out.writes] == ["ms-cert-req"]
    assert out.output.split("\n")[-1] == (
        "warning: certificate request ms-cert not e-mailed: CA profiles ms-ca, other each have "
        "an administrator e-mail-address")
    chosen = ("set security pki auto-re-enrollment certificate-id ms-cert ca-profile-name other "
              "challenge-password abc re-enroll-trigger-time-percentage 10\n")
    out = execute(device(MS_CONFIG + ADMIN + OTHER + chosen), REQUEST)
    message = email.message_from_bytes(out.writes[1].data, policy=email.policy.default)
    assert message["To"] == "pki@other.net"


def test_an_address_that_would_extend_the_header_is_not_used():
    config = MS_CONFIG + ('set security pki ca-profile ms-ca administrator e-mail-address '
                          '"a@b.net,root"\n')
    out = execute(device(config), REQUEST)
    assert [w.path for w in out.writes] == ["ms-cert-req"]
    assert out.output.split("\n")[-1] == (
        "warning: certificate request ms-cert not e-mailed: ca-profile ms-ca administrator "
        "e-mail-address is not an address")
