"""`request security pki ca-certificate ca-profile-group load`: Chapter 16's sample lines, what
is skipped and why, the profiles it makes (shown, trusted by pkid, saved), and the bundle's
limits."""

from __future__ import annotations

import dataclasses
import functools

import pytest
from cryptography.hazmat.primitives import serialization

from pki.hierarchy import CAHierarchy, CASpec
from pki.loaders import LoadError
from pki.store import CertificateStore
from sim.junos import ops_group_load
from sim.junos.device_state import DeviceState
from sim.junos.ops import ParseError, execute
from tests.junos.ops_states import FAST, at, state

PEM = serialization.Encoding.PEM
LOAD = "request security pki ca-certificate ca-profile-group load ca-group-name {} filename b.pem"
QUESTION = "Do you want to load this CA certificate ? [yes,no] (no) "


@functools.cache
def pki() -> CAHierarchy:
    def spec(name: str, issuer: str | None = None) -> CASpec:
        return CASpec(name=name, issuer=issuer, subject=f"C=us, O=example, CN={name}", key=FAST,
                      crl_urls=(f"http://10.0.0.9/{name}.crl",))

    h = CAHierarchy([spec("Trust-1"), spec("Trust-2"), spec("Trust-Sub", "Trust-2")],
                    start=at("01- 1-2012 00:00"), seed="group")
    h.issue_end_entity("Trust-Sub", "leaf", key=FAST, subject="CN=leaf",
                       not_before=at("02- 1-2012 00:00"))
    return h


def pem(*names: str) -> bytes:
    return b"".join(pki().certificate(n).public_bytes(PEM) for n in names)


DAMAGED = b"-----BEGIN CERTIFICATE-----\nMIIBzzCCAXWgAwIBAgIBAT==\n-----END CERTIFICATE-----\n"


def device(config: str = "") -> DeviceState:
    return state("host", config=config, store=CertificateStore(), now=at("03- 1-2012 00:00"))


def reader(data: bytes):
    def read(path: str) -> bytes:
        if path != "b.pem":
            raise LoadError(path, "no such file")
        return data
    return read


def load(st: DeviceState, data: bytes, group: str = "ca-default", answer: str | None = "yes"):
    return execute(st, LOAD.format(group), read=reader(data), answer=answer)


def test_ch16_sample_lines_and_summary():
    bundle = pem("Trust-1", "Trust-2", "Trust-Sub")
    asked = load(device(), bundle, answer=None)
    assert asked.question == QUESTION and asked.output == ""
    assert asked.state.store.ca_certificates == {}
    out = load(device(), bundle)
    assert out.output.split("\n") == [
        f"{QUESTION}yes",
        "",
        "Loading 3 certificates for group 'ca-default'.",
        "ca-default_1_sysgen: Loading done.",
        "ca-default_2_sysgen: Loading done.",
        "ca-default_3_sysgen: Loading done.",
        "ca-profile-group 'ca-default' successfully loaded. Success[3] Skipped[0]",
    ]
    assert out.state.store.ca_certificates["ca-default_3_sysgen"] == pki().certificate("Trust-Sub")


def test_no_loads_nothing():
    out = load(device(), pem("Trust-1"), answer="no")
    assert out.output == f"{QUESTION}no" and out.state.store.ca_certificates == {}


def test_skipped_blocks_each_say_why():
    bundle = pem("Trust-1", "leaf") + DAMAGED + pem("Trust-1")
    out = load(device(), bundle)
    lines = out.output.split("\n")[2:]
    assert lines[0] == "Loading 4 certificates for group 'ca-default'."
    assert lines[1] == "ca-default_1_sysgen: Loading done."
    assert lines[2] == "ca-default_2_sysgen: Skipped (not a CA certificate)."
    assert lines[3].startswith("ca-default_3_sysgen: Skipped (not a valid certificate (")
    assert lines[4] == ("ca-default_4_sysgen: Skipped (the same certificate as CA profile "
                        "ca-default_1_sysgen).")
    assert lines[5] == "ca-profile-group 'ca-default' successfully loaded. Success[1] Skipped[3]"
    assert set(out.state.store.ca_certificates) == {"ca-default_1_sysgen"}


def test_a_certificate_already_in_a_configured_profile_is_skipped():
    st = device("set security pki ca-profile mine ca-identity mine\n")
    st = dataclasses.replace(st, store=st.store.add_ca_certificate(
        "mine", pki().certificate("Trust-2")))
    out = load(st, pem("Trust-2"))
    assert "ca-default_1_sysgen: Skipped (the same certificate as CA profile mine)." in out.output


def test_profiles_are_shown_in_bundle_order_and_trusted_by_pkid():
    bundle = pem(*(["Trust-1"] + ["leaf"] * 9 + ["Trust-2", "Trust-Sub"]))
    st = load(device(), bundle, group="g").state
    shown = execute(st, "show security pki ca-certificate").output
    identifiers = [line.split(": ")[1] for line in shown.split("\n")
                   if line.startswith("Certificate identifier:")]
    assert identifiers == ["g_1_sysgen", "g_11_sysgen", "g_12_sysgen"]  # 11 after 1, not 2
    assert "Issued to: Trust-Sub, Issued by: C = us, O = example, CN = Trust-2" in shown
    # The leaf's path ends at a group profile's CA: pkid trusts it and asks for the CRL.
    key = pki().key("leaf")
    st = dataclasses.replace(st, store=st.store.add_key_pair("leaf", key)
                             .add_local_certificate("leaf", pki().certificate("leaf")))
    verify = execute(st, "request security pki local-certificate verify certificate-id leaf")
    assert verify.output == ("Local certificate leaf: CRL verification in progress. Please "
                             "check the PKId debug\nlogs for completion status")
    without = execute(device(), "request security pki local-certificate verify "
                                "certificate-id leaf")
    assert without.error


def test_the_group_survives_a_save_and_load(tmp_path):
    st = load(device(), pem("Trust-1", "Trust-2"), group="g").state
    st.save(tmp_path)
    again = DeviceState.load(tmp_path, "host")
    assert list(ops_group_load.group_profiles(again)) == ["g_1_sysgen", "g_2_sysgen"]


def test_the_same_group_twice_is_refused():
    st = load(device(), pem("Trust-1"), group="g").state
    again = load(st, pem("Trust-2"), group="g", answer=None)
    assert again.error and again.output == (
        "error: ca-profile-group 'g' is already loaded; clear its CA certificates first "
        "(clear security pki ca-certificate)")
    assert load(st, pem("Trust-2"), group="h").state.store.ca_certificates["h_1_sysgen"]


@pytest.mark.parametrize(("data", "error"), [
    (b"", "error: b.pem: is empty"),
    (b"hello\n", "error: b.pem: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file"),
    (b"-----BEGIN CERTIFICATE-----\n" * 2001,
     "error: b.pem: 2001 certificates; a ca-profile-group holds at most 2000"),
    (b"x" * (4 * 1024 * 1024 + 1),
     "error: b.pem: CA bundle is 4194305 bytes; the maximum is 4 MB"),
])
def test_bundles_refused_before_parsing(data, error):
    out = load(device(), data, answer=None)
    assert out.error and out.output == error and out.question is None


def test_refused_file_and_name_too_long():
    out = execute(device(), LOAD.format("g").replace("b.pem", "nope.pem"), read=reader(b""))
    assert out.output == "error: nope.pem: no such file"
    fits = load(device(), pem("Trust-1", "Trust-2"), group="g" * 54)
    assert f"{'g' * 54}_2_sysgen: Loading done." in fits.output
    out = load(device(), pem("Trust-1", "Trust-2"), group="g" * 55, answer=None)
    assert out.error and out.output == (
        f"error: ca-group-name {'g' * 55}: too long for 2 certificates (CA profile "
        f"{'g' * 55}_2_sysgen would be over 63 characters)")


def test_a_configured_profile_with_a_group_name_is_refused():
    out = load(device("set security pki ca-profile g_1_sysgen ca-identity x\n"), pem("Trust-1"),
               group="g", answer=None)
    assert out.output == "error: ca-profile-group 'g': CA profile g_1_sysgen is configured"


@pytest.mark.parametrize("group", ["../etc", "a/b", ".", "x" * 64])
def test_a_group_name_that_is_no_name_is_refused_before_reading(group):
    with pytest.raises(ParseError) as refused:
        execute(device(), LOAD.format(f'"{group}"'), read=reader(pem("Trust-1")))
    assert str(refused.value).startswith("error: ca-profile-group ")
