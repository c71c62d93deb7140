"""Devices stamped from one group share what they have alike: the CA certificate objects in
their stores, the parsed parts of their configurations that the template makes equal, and
(with a key pool) their system-generated keys; what names the member stays its own."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pki.selfsigned import SYSTEM_GENERATED_ID
from sim.junos.config import parse_config
from sim.junos.config_tokens import _line_tokens
from sim.scenario import Scenario
from sim.topology import library, load_topology

TOPOLOGY = library.topologies_dir() / "hub-and-spoke-ecdsa.yaml"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    topology = load_topology(TOPOLOGY, parameters={"spokes": "40"})
    return Scenario.build(topology, out=tmp_path_factory.mktemp("run"))


def test_two_spokes_share_the_same_ca_certificate_objects(scenario):
    a, b = (scenario.devices[name].pki.store for name in ("Spoke-0001", "Spoke-0040"))
    for profile in ("Root-CA", "Spoke-CA"):
        assert a.ca_certificates[profile] is b.ca_certificates[profile]
    assert a.ca_certificates["Root-CA"] is scenario.hierarchy.certificate("Root-CA")


def test_two_spokes_share_the_parts_of_their_configuration_the_template_makes_equal(scenario):
    a, b = (scenario.topology.devices[name] for name in ("Spoke-0001", "Spoke-0040"))
    assert a.config.pki is b.config.pki
    # (IkeConfig keeps its own mapping of them: the entries are the shared objects.)
    assert a.config.ike.proposals["ecdsa-g19"] is b.config.ike.proposals["ecdsa-g19"]
    assert a.config.ike.gateways["to-hub"] is b.config.ike.gateways["to-hub"]
    assert a.ca_certificates is b.ca_certificates
    # What names the member is its own, and each configuration is what its text says.
    assert a.config.ike.policies["to-hub"].local_certificate == "Spoke-0001"
    assert b.config.ike.policies["to-hub"].local_certificate == "Spoke-0040"
    assert a.config.interfaces != b.config.interfaces
    for entry in (a, b):
        assert entry.config == parse_config(entry.config_text, source=entry.name)


def test_every_members_configuration_is_a_fresh_parse_of_its_own_text(scenario):
    # Members' template lines are tokenized once for all (sim.junos.config_tokens); what each
    # member holds is still exactly what parsing its own text afresh gives.
    members = [entry for entry in scenario.topology.devices.values() if entry.name != "Hub"]
    assert len(members) == 40
    for entry in members:
        _line_tokens.cache_clear()
        assert entry.config == parse_config(entry.config_text, source=entry.name)


def _system_key(scenario, device: str) -> bytes:
    cert = scenario.devices[device].pki.store.local_certificates[SYSTEM_GENERATED_ID]
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_system_generated_keys_come_from_the_key_pool(scenario):
    """40 spokes with `key-pool: 16` make at most 16 RSA keys (a prime search each), not 40;
    each certificate is still the device's own (CN=its serial)."""
    spokes = [name for name in scenario.devices if name.startswith("Spoke-")]
    keys = {_system_key(scenario, name) for name in spokes}
    assert 1 < len(keys) <= 16
    serials = {scenario.devices[name].pki.store.local_certificates[SYSTEM_GENERATED_ID]
               .subject.rfc4514_string() for name in spokes}
    assert len(serials) == 40
