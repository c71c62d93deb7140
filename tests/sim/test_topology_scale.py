"""What a topology says about a large run: an address pool larger than a /16 (checked against
`count` before anything is made), the ECDSA hub-and-spoke's parameters (the CRL size
included), and `keep:` deciding which members get files."""

from __future__ import annotations

import pytest

from sim.topology import library, load_topology
from sim.topology.expand import expand_devices
from sim.topology.yaml_lines import YamlError, load

TOPOLOGY = library.topologies_dir() / "hub-and-spoke-ecdsa.yaml"


def _group(count: int, pool: str, keep: str = "[]") -> object:
    return load(f"Spoke:\n  count: {count}\n  address-pool: {pool}\n  keep: {keep}\n"
                "  config: ''\n")


def test_a_pool_larger_than_a_slash_16_numbers_members_past_65534():
    devices = expand_devices(_group(70_000, "10.64.0.0/12"))
    assert len(devices) == 70_000
    assert devices["Spoke-70000"]["address"] == "10.65.17.112"  # 10.64.0.0 + 70,000
    assert devices["Spoke-00001"]["address"] == "10.64.0.1"


def test_a_pool_too_small_for_count_is_one_line_naming_the_entry():
    with pytest.raises(YamlError) as refused:
        expand_devices(_group(70_000, "10.64.0.0/16"))
    assert (refused.value.line, refused.value.problem) == (
        3, "devices.Spoke.address-pool: 10.64.0.0/16 has fewer than 70000 addresses")


def test_keep_patterns_choose_the_members_that_get_files():
    devices = expand_devices(_group(30, "10.64.0.0/24", keep="[Spoke-0002, 'Spoke-002*']"))
    assert [name for name, entry in devices.items() if entry["keep"]] == [
        "Spoke-0002", *(f"Spoke-{n:04d}" for n in range(20, 30))]


def test_the_ecdsa_hub_and_spoke_takes_its_crl_size_and_pool_as_parameters():
    topology = load_topology(TOPOLOGY, parameters={"spokes": "3", "crl-size": "150000"})
    assert topology.cas["Root-CA"].extra_revoked == 150_000
    assert topology.cas["Hub-CA"].extra_revoked == 150_000
    assert [d.address for d in topology.devices.values()] == [
        "198.51.100.1", "10.64.0.1", "10.64.0.2", "10.64.0.3"]
    assert [d.keep for d in topology.devices.values()] == [True, True, False, False]
    plain = load_topology(TOPOLOGY, parameters={"spokes": "3"})
    assert plain.cas["Root-CA"].extra_revoked == 0
