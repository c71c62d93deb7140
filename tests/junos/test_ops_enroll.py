"""`request security pki ca-certificate enroll` and `local-certificate enroll` against real SCEP
CAs (pki.scep_ca) through a transport, and `ca-certificate verify` / `local-certificate
verify` downloading their CRLs through it: the guide's lines, the certificates installed, pkid's
log, and the one-line refusals."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AttributeOID, NameOID

from pki.csr import colon_hex
from pki.enrollment import HttpRequest, HttpResponse
from pki.hierarchy import CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import parse_subject
from pki.scep_ca import ScepCa, ScepPolicy
from pki.store import CertificateStore
from sim.junos.device_state import DeviceState
from sim.junos.ops import execute
from sim.junos.ops_enroll import ENROLLMENT_STARTED, QUESTION
from sim.junos.ops_outcome import NoAnswer
from tests.junos.ops_states import state

RSA = KeySpec(type=KeyType.RSA, size=1024)
START = dt.datetime(2012, 8, 14, 22, 19, tzinfo=dt.UTC)
NOW = dt.datetime(2012, 9, 17, 22, 20, tzinfo=dt.UTC)
HOST = "http://10.157.88.230:8080"
SUBJECT = "DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US"
CAS = (("Root-CA", None, "Root"), ("Eng-CA", "Root-CA", "Eng"), ("Dev-CA", "Eng-CA", "Dev"))
CONFIG = "".join(
    f"set security pki ca-profile {name} ca-identity {name}\n"
    f"set security pki ca-profile {name} enrollment url {HOST}/scep/{path}/\n"
    f"set security pki ca-profile {name} revocation-check crl\n"
    for name, _, path in CAS) + "set security pki traceoptions flag all\n"
ENROLL = ("request security pki local-certificate enroll certificate-id Host-A ca-profile Dev-CA "
          "challenge-password example domain-name host-a.example.net email host-a@example.net "
          f"subject {SUBJECT}")


def hierarchy() -> CAHierarchy:
    return CAHierarchy([CASpec(name=name, issuer=issuer, subject=f"C=us, O=example, CN={name}",
                               key=RSA, crl_urls=(f"{HOST}/crl/{path}.crl",))
                        for name, issuer, path in CAS], start=START, seed="ch14-ops")


class World:
    """The CA server at 10.157.88.230: SCEP for each CA, and their CRLs."""

    def __init__(self, *, password: str | None = "example", pending: int = 0) -> None:
        self.h = hierarchy()
        self.cas: dict[str, ScepCa] = {}
        for name, _, path in CAS:
            policy = ScepPolicy(url=f"{HOST}/scep/{path}/", challenge_password=password,
                                pending_polls=pending)
            self.cas[policy.url] = ScepCa(
                name=name, certificate=self.h.certificate(name), key=self.h.key(name),
                chain=tuple(self.h.chain(name)[1:]), policy=policy, issue=self._issuer(name))
        published = NOW - dt.timedelta(hours=1)
        self.crls = {f"{HOST}/crl/{path}.crl": self.h.crl(name, at=published).public_bytes(
            serialization.Encoding.DER) for name, _, path in CAS}
        self.asked: list[str] = []

    def _issuer(self, ca: str):
        def issue(request: x509.CertificateSigningRequest, now: dt.datetime):
            return self.h.issue_from_request(ca, "Host-A", request, not_before=now)
        return issue

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.asked.append(request.url)
        base = request.url.split("?")[0]
        if base in self.cas:
            return self.cas[base].handle(request, now=NOW)
        if request.url in self.crls:
            return HttpResponse(status=200, content_type="application/pkix-crl",
                                body=self.crls[request.url])
        raise NoAnswer("connection timed out")


def device(config: str = CONFIG, store: CertificateStore | None = None) -> DeviceState:
    return state("Host-A", config=config, store=store or CertificateStore(), now=NOW)


def run(st: DeviceState, world, line: str, answer: str | None = None):
    return execute(st, line, transport=world, answer=answer)


def enroll_ca(st: DeviceState, world: World, name: str) -> DeviceState:
    out = run(st, world, f"request security pki ca-certificate enroll ca-profile {name}", "yes")
    assert not out.error, out.output
    return out.state


def sha1(cert: x509.Certificate) -> str:
    return colon_hex(cert.fingerprint(hashes.SHA1()))


# -- ca-certificate enroll ------------------------------------------------------------------


def test_root_answers_one_certificate_chapter11_form():
    world = World()
    asked = run(device(), world, "request security pki ca-certificate enroll ca-profile Root-CA")
    root = world.h.certificate("Root-CA")
    der = root.public_bytes(serialization.Encoding.DER)
    md5 = colon_hex(hashlib.md5(der, usedforsecurity=False).digest())
    assert asked.output.split("\n") == ["Fingerprint:", f"  {sha1(root)} (sha1)", f"  {md5} (md5)"]
    assert asked.question == QUESTION and asked.state.store.ca_certificates == {}
    assert world.asked == [f"{HOST}/scep/Root/?operation=GetCACert&message=Root-CA"]
    yes = run(device(), world, "request security pki ca-certificate enroll ca-profile Root-CA",
              "yes")
    assert yes.output.split("\n")[-1] == f"{QUESTION}yes" and yes.after == ""
    assert yes.state.store.ca_certificates == {"Root-CA": root}
    assert yes.messages == ()  # a DER certificate, no PKCS#7
    no = run(device(), world, "request security pki ca-certificate enroll ca-profile Root-CA",
             "no")
    assert no.state.store.ca_certificates == {}


def test_intermediate_answers_its_chain_chapter16_form_and_loads_only_itself():
    world = World()
    out = run(device(), world, "request security pki ca-certificate enroll ca-profile Dev-CA",
              "yes")
    h = world.h
    assert out.output.split("\n") == [
        "Received following certificates:",
        "Certificate: C=us, O=example, CN=Dev-CA", f"Fingerprint: {sha1(h.certificate('Dev-CA'))}",
        "Certificate: C=us, O=example, CN=Eng-CA", f"Fingerprint: {sha1(h.certificate('Eng-CA'))}",
        "Certificate: C=us, O=example, CN=Root-CA",
        f"Fingerprint: {sha1(h.certificate('Root-CA'))}",
        f"{QUESTION}yes",
    ]
    assert out.state.store.ca_certificates == {"Dev-CA": h.certificate("Dev-CA")}
    # The degenerate PKCS#7 the CA sent is kept for the run folder.
    [(kind, body)] = out.messages
    assert kind == "GetCACert" and body[:1] == b"\x30"


def test_ca_enroll_refusals():
    world = World()
    line = "request security pki ca-certificate enroll ca-profile {}"
    assert run(device(), world, line.format("Nope")).output == \
        "error: CA profile Nope is not configured"
    bare = device("set security pki ca-profile Bare ca-identity Bare\n")
    assert run(bare, world, line.format("Bare")).output == \
        "error: CA profile Bare has no enrollment url"
    loaded = enroll_ca(device(), world, "Root-CA")
    assert run(loaded, world, line.format("Root-CA")).output == (
        "error: CA certificate for profile Root-CA is already loaded; run 'clear security pki "
        "ca-certificate ca-profile Root-CA' first")
    alone = execute(device(), line.format("Root-CA"))  # no transport: nobody answers
    assert alone.error and alone.output == (
        f"error: CA certificate enrollment failed: CA profile Root-CA: no answer from "
        f"{HOST}/scep/Root/ (no route to host)")
    other = device(CONFIG.replace("scep/Root/", "scep/Gone/"))
    out = run(other, world, line.format("Root-CA"))
    assert out.output == (f"error: CA certificate enrollment failed: CA profile Root-CA: no "
                          f"answer from {HOST}/scep/Gone/ (connection timed out)")


def test_a_server_that_answers_something_else_is_one_line():
    def teapot(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=200, content_type="text/html", body=b"<html>\x1b[31m")
    out = run(device(), teapot, "request security pki ca-certificate enroll ca-profile Root-CA")
    assert out.error and "\n" not in out.output and "\x1b" not in out.output
    assert out.output.startswith("error: CA certificate enrollment failed: CA profile Root-CA:")


# -- local-certificate enroll -----------------------------------------------------------------


def ready(world: World, key_type: str = "rsa") -> DeviceState:
    st = device()
    for name, _, _ in CAS:
        st = enroll_ca(st, world, name)
    size = "256" if key_type == "ecdsa" else "1024"
    out = execute(st, f"request security pki generate-key-pair certificate-id Host-A "
                      f"type {key_type} size {size}")
    return out.state


def test_chapter14_local_enroll_installs_the_certificate_and_logs_it():
    world = World()
    st = ready(world)
    out = run(st, world, ENROLL)
    assert out.output == ENROLLMENT_STARTED and not out.error
    cert = out.state.store.local_certificates["Host-A"]
    assert cert.issuer == world.h.certificate("Dev-CA").subject
    assert cert.subject == parse_subject(SUBJECT)
    assert cert.public_key().public_numbers() == \
        st.store.key_pairs["Host-A"].public_key().public_numbers()
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["host-a.example.net"]
    assert "Host-A" not in out.state.store.requests
    new = out.state.pkid_log[len(st.pkid_log):]
    texts = [line.split(" ", 3)[3] for line in new]
    assert all(line.startswith("Sep 17 22:20:00 ") for line in new)
    assert texts[0] == (f"Start enrollment of local certificate Host-A from CA profile Dev-CA "
                        f"at {HOST}/scep/Dev/")
    assert re.fullmatch(r"Sent PKCSReq for Host-A to CA profile Dev-CA, transaction ID "
                        r"[0-9A-F]+", texts[1])
    assert texts[2] == ("Received local certificate Host-A from CA profile Dev-CA: subject "
                        "DC=example, CN=Host-A, OU=DEV, O=PKI, L=Sunnyvale, ST=CA, C=US, "
                        f"serial {cert.serial_number:X}")
    assert [kind for kind, _ in out.messages] == ["PKCSReq", "CertRep"]
    shown = execute(out.state, "show security pki local-certificate certificate-id Host-A")
    assert shown.output.split("\n")[1] == \
        "  Issued to: Host-A, Issued by: C = us, O = example, CN = Dev-CA"
    # The same session gives the same bytes.
    assert run(ready(World()), World(), ENROLL).messages == out.messages


def test_pending_without_retry_fails_and_with_retry_stays_pending():
    world = World(pending=1)
    out = run(ready(world), world, ENROLL)
    assert out.output == ENROLLMENT_STARTED
    assert "Host-A" not in out.state.store.local_certificates
    assert "Host-A" not in out.state.store.requests
    assert out.state.pkid_log[-1].endswith(
        "Enrollment of local certificate Host-A from CA profile Dev-CA failed: gave up, no "
        "retry configured")
    polling = CONFIG + ("set security pki ca-profile Dev-CA enrollment retry 3\n"
                        "set security pki ca-profile Dev-CA enrollment retry-interval 60\n")
    world = World(pending=1)
    st = dataclasses.replace(ready(world), config=device(polling).config)
    out = run(st, world, ENROLL)
    assert "Host-A" not in out.state.store.local_certificates
    assert out.state.pkid_log[-2].endswith(
        "CA profile Dev-CA answered PENDING for Host-A, transaction ID "
        + out.state.pkid_log[-2].rsplit(" ", 1)[1])
    assert out.state.pkid_log[-1].endswith(
        "Enrollment of Host-A from CA profile Dev-CA: poll 1 of 3 in 60 seconds, at "
        "2012-09-17 22:21:00")
    pending = execute(out.state, "show security pki certificate-request certificate-id Host-A")
    assert pending.output.split("\n")[:2] == ["Certificate identifier: Host-A",
                                              "  Issued to: Host-A"]


def test_the_same_enrollment_again_collects_a_pending_certificate():
    # The request is the same (RSA signatures are deterministic), so its transaction ID is:
    # the CA takes it as a poll (RFC 8894 3.3.3) and answers with the certificate.
    polling = CONFIG + "set security pki ca-profile Dev-CA enrollment retry 3\n"
    world = World(pending=1)
    st = dataclasses.replace(ready(world), config=device(polling).config)
    first = run(st, world, ENROLL)
    assert "Host-A" in first.state.store.requests
    second = run(first.state, world, ENROLL)
    cert = second.state.store.local_certificates["Host-A"]
    assert cert.issuer == world.h.certificate("Dev-CA").subject
    assert "Host-A" not in second.state.store.requests
    assert "Received local certificate Host-A" in second.state.pkid_log[-1]


def test_wrong_challenge_password_is_pkids_failure():
    world = World(password="not-example")
    out = run(ready(world), world, ENROLL)
    assert out.output == ENROLLMENT_STARTED
    assert out.state.pkid_log[-1].endswith(
        "Enrollment of local certificate Host-A from CA profile Dev-CA failed: CA refused the "
        "request (badRequest, wrong challenge password?)")
    assert "Host-A" not in out.state.store.local_certificates


def test_the_request_carries_the_challenge_password_and_the_device_serial():
    world = World(password=None)
    sn = ENROLL.replace(f"subject {SUBJECT}", "subject CN=router3,SN,O=example")
    out = run(ready(world), world, sn)
    pkcs_req = out.messages[0][1]
    assert pkcs_req  # the request travels enveloped; what the CA issued shows the subject
    cert = out.state.store.local_certificates["Host-A"]
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "JN10B9390AGB"
    world = World()
    issued: list[x509.CertificateSigningRequest] = []
    original = world.cas[f"{HOST}/scep/Dev/"].issue
    world.cas[f"{HOST}/scep/Dev/"].issue = lambda req, now: (issued.append(req),
                                                             original(req, now))[1]
    run(ready(world), world, ENROLL)
    [request] = issued
    assert request.attributes.get_attribute_for_oid(
        AttributeOID.CHALLENGE_PASSWORD).value == b"example"


def test_local_enroll_refusals():
    world = World()
    st = ready(world)
    assert run(st, world, ENROLL.replace("ca-profile Dev-CA", "ca-profile Nope")).output == \
        "error: CA profile Nope is not configured"
    bare = device(CONFIG)
    assert run(bare, world, ENROLL).output == (
        "error: CA certificate for profile Dev-CA is not loaded; run 'request security pki "
        "ca-certificate enroll ca-profile Dev-CA' first")
    no_key = enroll_ca(bare, world, "Dev-CA")
    assert run(no_key, world, ENROLL).output == (
        "error: Key pair Host-A does not exist; run 'request security pki generate-key-pair "
        "certificate-id Host-A' first")
    ecdsa = ready(World(), "ecdsa")
    out = run(ecdsa, world, ENROLL)
    assert out.error and out.output == \
        "error: SCEP supports RSA certificates only: key pair Host-A is ECDSA"
    done = run(st, world, ENROLL).state
    assert run(done, world, ENROLL).output == "error: Local certificate Host-A already exists"
    bad = run(st, world, ENROLL.replace("domain-name host-a.example.net",
                                        "domain-name host-a.example.net ip-address 300.1.1.1"))
    assert bad.error and bad.output == "error: ip-address '300.1.1.1' is not an IP address"
    for refused in (out, bad):
        assert refused.messages == () and refused.state.pkid_log == ()
    unreachable = run(st, lambda request: (_ for _ in ()).throw(NoAnswer("timed out")), ENROLL)
    assert unreachable.output == ENROLLMENT_STARTED
    assert "No answer from CA profile Dev-CA" in unreachable.state.pkid_log[-2]
    assert unreachable.state.pkid_log[-1].endswith("failed: gave up, no retry configured")


# -- verify downloads the CRLs ------------------------------------------------------------------


def test_verify_downloads_crls_through_the_transport():
    world = World()
    st = run(ready(world), world, ENROLL).state
    line = "request security pki ca-certificate verify ca-profile {}"
    assert execute(st, line.format("Eng-CA")).output.startswith(
        "CA certificate Eng-CA: CRL verification in progress")  # no transport
    root = run(st, world, line.format("Root-CA"))
    assert root.output == "CA certificate Root-CA verified successfully"
    eng = run(root.state, world, line.format("Eng-CA"))
    assert eng.output == "CA certificate Eng-CA verified successfully"
    assert set(eng.state.store.crls) == {"Root-CA"}
    logged = [entry.split(" ", 3)[3] for entry in eng.state.pkid_log[len(root.state.pkid_log):]]
    assert logged == [
        f"CRL for CA profile Root-CA is not loaded or due; trying {HOST}/crl/Root.crl",
        f"Start downloading CRL for CA profile Root-CA from {HOST}/crl/Root.crl",
        f"CRL for CA profile Root-CA loaded from {HOST}/crl/Root.crl, 0 revoked, next refresh "
        "09-24-2012 21:20",
    ]
    source = eng.state.crl_sources["Root-CA"]
    assert source.url == f"{HOST}/crl/Root.crl" and source.loaded_at == NOW.isoformat()
    dev = run(eng.state, world, line.format("Dev-CA"))
    assert dev.output == "CA certificate Dev-CA verified successfully"
    local = run(dev.state, world, "request security pki local-certificate verify "
                                  "certificate-id Host-A")
    assert local.output == "Local certificate Host-A verification success"
    assert list(local.state.store.crls) == ["Root-CA", "Eng-CA", "Dev-CA"]
    crl = execute(local.state, "show security pki crl").output
    assert [row for row in crl.split("\n") if row.startswith("CA profile")] == [
        "CA profile: Root-CA", "CA profile: Eng-CA", "CA profile: Dev-CA"]


def test_a_crl_nobody_serves_fails_the_verification():
    world = World()
    st = run(ready(world), world, ENROLL).state
    world.crls.clear()
    out = run(st, world, "request security pki ca-certificate verify ca-profile Eng-CA")
    assert out.output == ("CA certificate Eng-CA verification failed: CRL download failed for "
                          "CA profile Root-CA")
    assert out.state.pkid_log[-1].endswith(
        f"CRL download for CA profile Root-CA from {HOST}/crl/Root.crl failed: connection "
        "timed out")


@pytest.mark.parametrize("key", ["dsa"])
def test_dsa_key_refused(key):
    world = World()
    st = device()
    st = enroll_ca(st, world, "Dev-CA")
    st = dataclasses.replace(st, store=st.store.add_key_pair(
        "Host-A", generate_key_pair(KeySpec(type=KeyType.DSA, size=1024), seed="dsa")))
    assert run(st, world, ENROLL).output == \
        "error: SCEP supports RSA certificates only: key pair Host-A is DSA"
