"""A peer whose DSA certificate inherits its parameters from its issuer (RFC 5280 6.1.4 (f),
PKITS 4.1.5's situation) authenticates in Phase 1: the SA takes the certificate, pkid's path
validation gives the working public key, and the signature is checked with it."""

from __future__ import annotations

import random

import pki
from sim.ike.ids import IkeId
from sim.ike.phase1 import IkeSA, Phase1Config, Phase1Done, Phase1Failed
from tests.pki.pathworld import AT, dsa_world
from tests.sim.ike.ike_pair import Pair, proposal


def _validating(world):
    """What kmd does with pkid's verdict: the validated path's working public key."""
    def verdict(sa: IkeSA, event) -> None:
        leaf, *pool = event.decoded
        result = pki.validate_path(leaf, trust_anchors=[world.root],
                                   intermediates=[world.intermediate, *pool],
                                   crls=[world.crl, world.root_crl], at=AT)
        if result.ok:
            sa.certificate_verdict(result.public_key, leaf)
        else:
            sa.certificate_rejected(reason=result.message)
    return verdict


def _pair(world, *, initiator_key) -> Pair:
    dsa_sha1 = (proposal("dsa1024", group="group2", auth="sha1", enc="3des-cbc"),)
    ee_id = IkeId.der_asn1_dn(world.ee.subject)
    root_id = IkeId.der_asn1_dn(world.root.subject)
    initiator = Phase1Config(proposals=dsa_sha1, local_id=ee_id, private_key=initiator_key,
                             certificates=(world.der["ee"], world.der["intermediate"]),
                             remote_id=root_id)
    responder = Phase1Config(proposals=dsa_sha1, local_id=root_id,
                             private_key=world.keys["root"], certificates=(world.der["root"],))
    return Pair(initiator=IkeSA.initiator(initiator, rng=random.Random(1)),
                responder=IkeSA.responder(responder, rng=random.Random(2)),
                verdict=_validating(world)).run()


def test_a_certificate_with_inherited_dsa_parameters_authenticates():
    world = dsa_world()
    pair = _pair(world, initiator_key=world.keys["ee"])
    assert isinstance(pair.outcome("initiator"), Phase1Done)
    done = pair.outcome("responder")
    assert isinstance(done, Phase1Done)
    assert done.peer_certificate.subject == world.ee.subject


def test_a_signature_by_another_key_under_the_inherited_parameters_fails():
    """The initiator signs with the intermediate's key (same p, q, g) while its certificate
    holds the end entity's: the working key must be the certificate's own y."""
    world = dsa_world()
    pair = _pair(world, initiator_key=world.keys["intermediate"])
    failed = pair.outcome("responder")
    assert isinstance(failed, Phase1Failed)
    assert failed.error.text == "Invalid signature"
