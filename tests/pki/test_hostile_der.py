"""Certificates and CRLs damaged byte by byte (flips, truncations, lengths that lie): loading
either refuses them with a LoadError naming the file, or validation gives a verdict. Nothing
else ever leaves pki: a peer's certificate must not crash a device's pkid."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import pki
from pki.loaders import LoadError, load_certificate, load_crl
from pki.result import ValidationResult
from tests.pki.budget import budget
from tests.pki.pathworld import AT, DER, figure4, figure4_crls

ROLES = ("leaf", "intermediate", "anchor", "crl")


def _world():
    h = figure4()
    return {"leaf": h.certificate("Host-B"), "intermediate": h.certificate("Sales-CA"),
            "anchor": h.certificate("Root-CA"), "crl": figure4_crls()["Sales-CA"],
            "root-crl": figure4_crls()["Root-CA"]}


@st.composite
def mutations(draw, data: bytes) -> bytes:
    """`data` flipped, truncated, extended, or with a length byte that lies."""
    kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "length"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1:]
    if kind == "set":
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    # A length byte (after a constructed tag) claiming more or less than is there.
    starts = [i + 1 for i in range(len(data) - 1) if data[i] in (0x30, 0x31, 0xA0, 0xA3, 0x04)]
    at = draw(st.sampled_from(starts))
    return data[:at] + bytes([draw(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0x84, 0xFF]))]) \
        + data[at + 1:]


def _validate(role: str, damaged: bytes) -> ValidationResult | None:
    world = _world()
    try:
        if role == "crl":
            world["crl"] = load_crl(damaged, source="damaged.crl")
        else:
            world[role] = load_certificate(damaged, source="damaged.der")
    except LoadError as refused:
        assert str(refused).startswith("damaged.")
        assert "\n" not in str(refused)
        return None
    return pki.validate_path(world["leaf"], trust_anchors=[world["anchor"]],
                             intermediates=[world["intermediate"]],
                             crls=[world["crl"], world["root-crl"]], at=AT)


@settings(max_examples=budget(150))
@given(data=st.data(), role=st.sampled_from(ROLES))
def test_damaged_der_is_refused_or_judged(data, role):
    original = _world()[role].public_bytes(DER)
    damaged = data.draw(mutations(original), label="damaged")
    result = _validate(role, damaged)
    assert result is None or isinstance(result, ValidationResult)
    if result is not None and damaged != original and role != "anchor":
        # Whatever still parses is judged on the bytes signed: a change to a signed byte
        # can never leave a valid path (the anchor is trusted as given).
        assert not result.ok or _only_unsigned_bytes_changed(role, damaged)


def _only_unsigned_bytes_changed(role: str, damaged: bytes) -> bool:
    """The damage left the to-be-signed part and the signature value as they were (a
    different encoding of the outer structure, which DER readers normalise)."""
    world = _world()
    try:
        obj = load_crl(damaged, source="x") if role == "crl" else load_certificate(
            damaged, source="x")
    except LoadError:
        return False
    tbs = "tbs_certlist_bytes" if role == "crl" else "tbs_certificate_bytes"
    return (getattr(obj, tbs) == getattr(world[role], tbs)
            and obj.signature == world[role].signature)
