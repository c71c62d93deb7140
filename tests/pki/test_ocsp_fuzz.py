"""OCSP responses damaged byte by byte: the check refuses them with one OcspRefused line, or,
when the damage left what was signed intact, still judges them as before. Nothing else ever
leaves pki.ocsp: a responder's bytes must not crash a device's pkid."""

from __future__ import annotations

import datetime as dt
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from pki.hierarchy import FIGURE4_START, CAHierarchy, figure4_specs
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import parse_subject
from pki.ocsp import OcspAnswer, OcspRefused, OcspStatus, build_request, check_response
from pki.ocsp_responder import Responder, delegate_certificate, respond, status_from
from tests.pki.budget import budget
from tests.pki.test_hostile_der import mutations

KEY = KeySpec(type=KeyType.ECDSA, size=256)
AT = FIGURE4_START + dt.timedelta(days=3)


@cache
def _world(delegated: bool):
    h = CAHierarchy(figure4_specs(key=KEY), start=FIGURE4_START, seed=1)
    leaf = h.issue_end_entity("Sales-CA", "Host-B", key=KEY, subject="CN=Host-B")
    ca, ca_key = h.certificate("Sales-CA"), h.key("Sales-CA")
    responder = Responder(ca=ca, signer=ca, key=ca_key)
    if delegated:
        key = generate_key_pair(KEY, seed="fuzz-delegate")
        signer = delegate_certificate(ca=ca, ca_key=ca_key, key=key,
                                      subject=parse_subject("CN=Responder"), serial=99,
                                      not_before=FIGURE4_START,
                                      not_after=FIGURE4_START + dt.timedelta(days=30),
                                      nocheck=True)
        responder = Responder(ca=ca, signer=signer, key=key)
    request = build_request(leaf, ca, nonce=b"0123456789abcdef")
    data = respond(request.der, responder,
                   status_from(frozenset({leaf.serial_number}), {}, at=AT), at=AT)
    return request, data


@settings(max_examples=budget(150))
@given(data=st.data(), delegated=st.booleans())
def test_damaged_response_is_refused_in_one_line_or_judged(data, delegated):
    request, original = _world(delegated)
    damaged = data.draw(mutations(original), label="damaged")
    try:
        answer = check_response(damaged, request, at=AT)
    except OcspRefused as refused:
        text = str(refused)
        assert text and "\n" not in text and text.isprintable()
        return
    # Accepted: the damage missed every signed byte, so the answer is the original one.
    assert isinstance(answer, OcspAnswer) and answer.status is OcspStatus.GOOD
    assert answer == check_response(original, request, at=AT)


@settings(max_examples=budget(100))
@given(junk=st.binary(max_size=600))
def test_random_bytes_are_refused(junk):
    request, _ = _world(False)
    try:
        check_response(junk, request, at=AT)
    except OcspRefused as refused:
        assert "\n" not in str(refused)
    else:
        raise AssertionError("random bytes were accepted as an OCSP response")
