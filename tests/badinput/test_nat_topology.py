"""The bad-input corpus for `nat:` on a link: each bad value refused at load in one line naming
the file and line, exit 2, nothing written."""

from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import HOST_A, HOST_B, pair

LINK = "  - {between: [Host-A, Host-B], latency: 5ms}"


def _with_nat(nat: str) -> str:
    text = pair()
    assert LINK in text
    return text.replace(LINK, "  - {between: [Host-A, Host-B], latency: 5ms,\n"
                              f"     nat: {nat}}}", 1)


@pytest.mark.parametrize(("nat", "fragment"), [
    ("{inside: Host-C, address: 198.51.100.7}",
     "links[].nat.inside: 'Host-C' is not one of the link's devices (Host-A, Host-B)"),
    ("{address: 198.51.100.7}",
     "links[].nat.inside: None is not one of the link's devices (Host-A, Host-B)"),
    ("{inside: Host-A}", "links[].nat.address: missing"),
    ("{inside: Host-A, address: 198.51.100.300}", "links[].nat.address: "),
    ("{inside: Host-A, address: '../x'}", "links[].nat.address: "),
    ("{inside: Host-A, address: " + HOST_B + "}",
     f"links[].nat.address: {HOST_B} is already in use"),
    ("{inside: Host-A, address: " + HOST_A + "}",
     f"links[].nat.address: {HOST_A} is already in use"),
    ("{inside: Host-A, address: 192.0.2.10}",
     "links[].nat.address: 192.0.2.10 is already in use"),
    ("{inside: Host-A, address: 0.0.0.0}",
     "links[].nat.address: 0.0.0.0 is not a unicast address a NAT can answer on"),
    ("{inside: Host-A, address: 255.255.255.255}",
     "links[].nat.address: 255.255.255.255 is not a unicast address a NAT can answer on"),
    ("{inside: Host-A, address: 224.0.0.5}",
     "links[].nat.address: 224.0.0.5 is not a unicast address a NAT can answer on"),
    ("{inside: Host-A, address: 127.0.0.1}",
     "links[].nat.address: 127.0.0.1 is not a unicast address a NAT can answer on"),
    ("{inside: Host-A, address: 169.254.1.1}",
     "links[].nat.address: 169.254.1.1 is not a unicast address a NAT can answer on"),
    ("{inside: Host-A, address: 198.51.100.7, timeout: 0}", "links[].nat.timeout: "),
    ("{inside: Host-A, address: 198.51.100.7, timeout: 500ms}",
     "links[].nat.timeout: '500ms': at least 1s"),
    ("{inside: Host-A, address: 198.51.100.7, timeout: .inf}", "links[].nat.timeout: "),
    ("{inside: Host-A, address: 198.51.100.7, timeout: 9999d}", "links[].nat.timeout: "),
    ("{inside: Host-A, address: 198.51.100.7, port: 500}",
     "links[].nat.port: unknown entry"),
    ("[Host-A, 198.51.100.7]", "links[].nat: expected a mapping"),
], ids=["inside-unknown", "inside-missing", "address-missing", "address-bad",
        "address-path", "address-of-peer", "address-of-inside", "address-of-server",
        "unspecified", "broadcast", "multicast", "loopback", "link-local", "timeout-zero",
        "timeout-short", "timeout-inf", "timeout-long", "unknown-key", "not-a-mapping"])
def test_a_bad_nat_is_refused_in_one_line(ikesim, tmp_path, nat, fragment):
    (tmp_path / "nat.yaml").write_text(_with_nat(nat))
    before = files_under(tmp_path)
    outcome = ikesim("run", "nat.yaml")
    assert_refused(outcome, "nat.yaml line ", fragment)
    assert not (tmp_path / "runs").exists()
    assert files_under(tmp_path) == before


def test_two_nats_cannot_share_a_public_address(ikesim, tmp_path):
    text = _with_nat("{inside: Host-A, address: 198.51.100.7}")
    text += "\n" if not text.endswith("\n") else ""
    text = text.replace("events:\n", "  - {between: [Host-B, Host-A],\n"
                                     "     nat: {inside: Host-B, address: 198.51.100.7}}\n"
                                     "events:\n", 1)
    (tmp_path / "nat.yaml").write_text(text)
    outcome = ikesim("run", "nat.yaml")
    assert_refused(outcome, "nat.yaml line ", "links[].nat.address: 198.51.100.7 is already "
                                              "in use")


@pytest.mark.parametrize(("second", "fragment"), [
    ("{inside: Host-A, address: 203.0.113.9}",
     "links[].nat.inside: Host-A is already behind the NAT 198.51.100.7; a device has one NAT, "
     "on its way out"),
    ("{inside: Host-B, address: 203.0.113.9}",
     "links[].nat: Host-A would be behind one NAT and the outside of Host-B's; its answers "
     "would leave through its own NAT and be dropped"),
], ids=["two-nats-one-device", "behind-and-outside"])
def test_a_device_has_one_nat_and_is_not_outside_another(ikesim, tmp_path, second, fragment):
    """A NAT translates everything its inside device sends: a second NAT for the same device,
    or a device behind a NAT answering through another NAT, cannot work and is refused."""
    text = _with_nat("{inside: Host-A, address: 198.51.100.7}")
    text = text.replace("events:\n", "  - {between: [Host-B, Host-A],\n"
                                     f"     nat: {second}}}\n"
                                     "events:\n", 1)
    (tmp_path / "nat.yaml").write_text(text)
    before = files_under(tmp_path)
    line = text.splitlines().index(f"     nat: {second}}}") + 1
    assert_refused(ikesim("run", "nat.yaml"), f"nat.yaml line {line}: {fragment}")
    assert files_under(tmp_path) == before


def test_a_nat_on_a_link_to_a_crl_server_is_refused(ikesim, tmp_path):
    """Links join devices; a server is reached over the default path and has no NAT."""
    text = pair().replace(LINK, "  - {between: [Host-A, crl-server],\n"
                                "     nat: {inside: Host-A, address: 198.51.100.7}}", 1)
    (tmp_path / "nat.yaml").write_text(text)
    line = text.splitlines().index("  - {between: [Host-A, crl-server],") + 1
    before = files_under(tmp_path)
    assert_refused(ikesim("run", "nat.yaml"),
                   f"nat.yaml line {line}: links[].between: no device named 'crl-server'")
    assert files_under(tmp_path) == before
