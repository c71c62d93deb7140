"""Junos IKE proposals, their transforms, and the responder's choice."""

import itertools

import pytest

from sim.ike.crypto import AuthMethod, DHGroup, EncryptionAlgorithm, HashAlgorithm
from sim.ike.payloads import NotifyType, SAPayload
from sim.ike.proposals import (
    AUTHENTICATION_ALGORITHMS,
    AUTHENTICATION_METHODS,
    DH_GROUPS,
    ENCRYPTION_ALGORITHMS,
    PROPOSAL_SETS,
    IkeProposal,
    NoProposalChosen,
    accepted,
    from_transform,
    sa_offer,
    select,
)


def prop(name="p", method="rsa-signatures", group="group5", auth="sha1", enc="aes-256-cbc",
         **extra):
    return IkeProposal.from_statements(name, {
        "authentication-method": method, "dh-group": group,
        "authentication-algorithm": auth, "encryption-algorithm": enc, **extra})


def test_guide_example_proposal():
    # set security ike proposal ike_cert_prop_01 ... (guide, "Configuring IPsec VPN options")
    p = prop("ike_cert_prop_01")
    assert (p.authentication_method, p.dh_group, p.authentication_algorithm,
            p.encryption_algorithm, p.lifetime_seconds) == (
        AuthMethod.RSA_SIGNATURES, DHGroup.MODP_1536, HashAlgorithm.SHA1,
        EncryptionAlgorithm.AES_256_CBC, 3600)
    assert p.statements()["dh-group"] == "group5"


@pytest.mark.parametrize(("statements", "message"), [
    ({"dh-group": "group3"}, "dh-group group3: expected one of"),
    ({"lifetime-seconds": 100}, "lifetime-seconds 100: must be 180..86400"),
    ({"mode": "main"}, "unknown statement mode"),
])
def test_bad_statements_name_the_statement(statements, message):
    base = {"authentication-method": "rsa-signatures", "dh-group": "group5",
            "authentication-algorithm": "sha1", "encryption-algorithm": "3des-cbc"}
    with pytest.raises(ValueError, match=message):
        IkeProposal.from_statements("p", {**base, **statements})


def test_wrong_kind_is_a_type_error():
    with pytest.raises(TypeError, match="dh-group must be a DHGroup"):
        IkeProposal(name="p", authentication_method=AuthMethod.RSA_SIGNATURES, dh_group=5,
                    authentication_algorithm=HashAlgorithm.SHA1,
                    encryption_algorithm=EncryptionAlgorithm.AES_128_CBC)


ALL = [prop(f"p{i}", m, g, a, e) for i, (m, g, a, e) in enumerate(itertools.product(
    AUTHENTICATION_METHODS, DH_GROUPS, AUTHENTICATION_ALGORITHMS, ENCRYPTION_ALGORITHMS))]


def test_every_proposal_survives_its_transform():
    for i, p in enumerate(ALL):
        back = from_transform(p.to_transform(i + 1), name=p.name)
        assert back == p


def test_long_lifetime_round_trips():
    p = prop(**{"lifetime-seconds": 86400})
    assert from_transform(p.to_transform(1), name="p").lifetime_seconds == 86400


def test_offer_bytes_decode_to_the_same_offer():
    offer = sa_offer([prop("a"), prop("b", enc="3des-cbc")])
    assert SAPayload.decode_body(offer.encode_body()) == offer
    assert len(offer.proposals) == 1 and len(offer.proposals[0].transforms) == 2


def test_responder_takes_first_offered_match_and_echoes_it():
    offer = sa_offer([prop("i1", group="group2"), prop("i2", group="group14"),
                      prop("i3", group="group5")])
    reply, chosen = select(offer, [prop("r1", group="group5"), prop("r2", group="group14")])
    assert chosen.name == "r2" and chosen.dh_group is DHGroup.MODP_2048
    assert reply.proposals[0].transforms == (offer.proposals[0].transforms[1],)
    assert accepted(reply, [prop("i1", group="group2"), prop("i2", group="group14")]).name == "i2"


def test_mismatch_is_no_proposal_chosen():
    offer = sa_offer([prop(auth="md5")])
    with pytest.raises(NoProposalChosen) as info:
        select(offer, [prop(auth="sha1")])
    assert info.value.notify is NotifyType.NO_PROPOSAL_CHOSEN


def test_lifetime_does_not_have_to_match():
    _, chosen = select(sa_offer([prop(**{"lifetime-seconds": 28800})]), [prop()])
    assert chosen.lifetime_seconds == 28800


def test_initiator_refuses_a_transform_it_did_not_offer():
    reply, _ = select(sa_offer([prop(enc="3des-cbc")]), [prop(enc="3des-cbc")])
    with pytest.raises(NoProposalChosen):
        accepted(reply, [prop(enc="aes-128-cbc")])


def test_standard_proposal_set_uses_group2_and_sha1():
    standard = PROPOSAL_SETS["standard"]
    assert [p.name for p in standard] == ["rsa-g2-aes128-sha", "rsa-g2-3des-sha"]
    assert {p.dh_group for p in standard} == {DHGroup.MODP_1024}
