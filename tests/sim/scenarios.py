"""Small two-device topologies for simulator tests, written as a user would write them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sim.scenario import Scenario
from sim.topology import load_topology

HOST_A = "10.0.0.1"
HOST_B = "10.0.0.2"


def device_config(*, me: str, peer: str, cid: str, profiles: str, extra: str = "",
                  proposal: str = "aes-128-cbc", gateway_peer: str | None = None,
                  local_identity: str | None = None) -> str:
    lines = [
        f"set interfaces ge-0/0/0 unit 0 family inet address {me}/24",
        *profiles.splitlines(),
        "set security pki traceoptions flag all",
        "set security ike proposal p1 authentication-method rsa-signatures",
        "set security ike proposal p1 dh-group group14",
        "set security ike proposal p1 authentication-algorithm sha-256",
        f"set security ike proposal p1 encryption-algorithm {proposal}",
        "set security ike policy pol mode main",
        "set security ike policy pol proposals p1",
        f"set security ike policy pol certificate local-certificate {cid}",
        "set security ike gateway gw ike-policy pol",
        f"set security ike gateway gw {gateway_peer or f'address {peer}'}",
        "set security ike gateway gw external-interface ge-0/0/0.0",
        f"set security ike gateway gw local-identity {local_identity or f'inet {me}'}",
        *extra.splitlines(),
    ]
    return "\n".join(lines) + "\n"


def topology(*, a_config: str, b_config: str, events: str, server: str = "",
             a_extra: str = "", b_extra: str = "", cas: str = "", duration: str = "10m") -> str:
    """Figure 4 in miniature: Root-CA issues CA-A and CA-B; CA-A issues Host-A's certificate,
    CA-B Host-B's. Each host has CA profiles for Root-CA and its own CA (see pair())."""
    indent = " " * 6
    a = textwrap.indent(a_config, indent)
    b = textwrap.indent(b_config, indent)
    return textwrap.dedent("""\
        name: test
        start: 2013-03-01T09:00:00Z
        seed: 7
        duration: {duration}
        cas:
          Root-CA: {{subject: "C=US, O=Test, CN=Root-CA", key: ecdsa-256,
                    crl: {{url: "http://192.0.2.10/root.crl", lifetime: 1d}}}}
          CA-A:    {{issuer: Root-CA, subject: "C=US, O=Test, CN=CA-A", key: ecdsa-256,
                    crl: {{url: "http://192.0.2.10/a.crl", lifetime: 1d}}}}
          CA-B:    {{issuer: Root-CA, subject: "C=US, O=Test, CN=CA-B", key: ecdsa-256,
                    crl: {{url: "http://192.0.2.10/b.crl", lifetime: 1d}}}}
        {cas}
        servers:
          crl-server: {{address: 192.0.2.10, latency: 10ms{server}}}
        devices:
          Host-A:
            address: {a_addr}
            enroll: [{{certificate-id: Host-A, ca: CA-A, key: rsa-1024,
                      subject: "CN=Host-A, O=Test, C=US", ip-address: {a_addr},
                      domain-name: host-a.example.net}}]
            ca-certificates: {{Root-CA: Root-CA, CA-A: CA-A}}
        {a_extra}
            config: |
        {a}
          Host-B:
            address: {b_addr}
            enroll: [{{certificate-id: Host-B, ca: CA-B, key: rsa-1024,
                      subject: "CN=Host-B, O=Test, C=US", ip-address: {b_addr}}}]
            ca-certificates: {{Root-CA: Root-CA, CA-B: CA-B}}
        {b_extra}
            config: |
        {b}
        links:
          - {{between: [Host-A, Host-B], latency: 5ms}}
        events:
        {events}
        """).format(duration=duration, cas=cas, server=server, a_addr=HOST_A, b_addr=HOST_B,
                    a=a, b=b, a_extra=a_extra, b_extra=b_extra, events=events)


def profiles(own: str, root_check: str = "crl", own_check: str = "crl") -> str:
    return "\n".join([
        "set security pki ca-profile Root-CA ca-identity Root-CA",
        f"set security pki ca-profile Root-CA revocation-check {root_check}",
        f"set security pki ca-profile {own} ca-identity {own}",
        f"set security pki ca-profile {own} revocation-check {own_check}",
    ])


def pair(*, a_profiles: str = profiles("CA-A"), b_profiles: str = profiles("CA-B"),
         a: dict | None = None, b: dict | None = None,
         events: str = "  - {at: 1s, initiate: {device: Host-A, gateway: gw}}", **kw) -> str:
    a_config = device_config(me=HOST_A, peer=HOST_B, cid="Host-A", profiles=a_profiles,
                             **(a or {}))
    b_config = device_config(me=HOST_B, peer=HOST_A, cid="Host-B", profiles=b_profiles,
                             **(b or {}))
    return topology(a_config=a_config, b_config=b_config, events=events, **kw)


def policy_vpn(local: str, remote: str, proposal: str = "proposal-set standard") -> str:
    """The guide's Chapter 11 policy-based VPN: zones, address book, tunnel policy pair."""
    return "\n".join([
        "set interfaces ge-0/0/1 unit 0 family inet address 172.16.0.1/24",
        "set security zones security-zone trust interfaces ge-0/0/1.0",
        "set security zones security-zone untrust interfaces ge-0/0/0.0",
        "set security zones security-zone untrust host-inbound-traffic system-services ike",
        f"set security zones security-zone trust address-book address local-net {local}",
        f"set security zones security-zone untrust address-book address remote-net {remote}",
        "set security ipsec proposal esp-aes protocol esp",
        "set security ipsec proposal esp-aes authentication-algorithm hmac-sha1-96",
        "set security ipsec proposal esp-aes encryption-algorithm aes-256-cbc",
        f"set security ipsec policy vpn-policy1 {proposal}",
        "set security ipsec policy vpn-policy1 perfect-forward-secrecy keys group2",
        "set security ipsec vpn ike-vpn ike gateway gw",
        "set security ipsec vpn ike-vpn ike ipsec-policy vpn-policy1",
        "set security policies from-zone trust to-zone untrust policy tunnel-policy-out "
        "match source-address local-net",
        "set security policies from-zone trust to-zone untrust policy tunnel-policy-out "
        "match destination-address remote-net",
        "set security policies from-zone trust to-zone untrust policy tunnel-policy-out "
        "match application any",
        "set security policies from-zone trust to-zone untrust policy tunnel-policy-out "
        "then permit tunnel ipsec-vpn ike-vpn pair-policy tunnel-policy-in",
        "set security policies from-zone untrust to-zone trust policy tunnel-policy-in "
        "match source-address remote-net",
        "set security policies from-zone untrust to-zone trust policy tunnel-policy-in "
        "match destination-address local-net",
        "set security policies from-zone untrust to-zone trust policy tunnel-policy-in "
        "match application any",
        "set security policies from-zone untrust to-zone trust policy tunnel-policy-in "
        "then permit tunnel ipsec-vpn ike-vpn pair-policy tunnel-policy-out",
    ])


def aggressive(text: str) -> str:
    """`text` (a pair or VPN pair topology) in Aggressive Mode with ECDSA P-256 and group 19."""
    for old, new in (("set security ike policy pol mode main",
                      "set security ike policy pol mode aggressive"),
                     ("authentication-method rsa-signatures",
                      "authentication-method ecdsa-signatures-256"),
                     ("dh-group group14", "dh-group group19"),
                     ("key: rsa-1024", "key: ecdsa-256")):
        assert old in text
        text = text.replace(old, new)
    return text


def library_run(name: str, out: Path) -> Scenario:
    """A library topology (topologies/NAME.yaml) built into `out`, run to its end, written."""
    root = Path(__file__).resolve().parents[2] / "topologies"
    scenario = Scenario.build(load_topology(root / f"{name}.yaml"), out=out)
    scenario.run()
    scenario.write()
    return scenario
