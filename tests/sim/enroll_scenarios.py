"""A small topology for the enrollment tests, written as a user would write it: Root-CA issues
CA-A and CA-B (RSA-1024: SCEP is RSA only); CA-A answers SCEP at http://192.0.2.20/scep/a,
Root-CA at http://192.0.2.20/scep/root, on a server of their own (scep-server); CRLs come from
crl-server. Host-A enrolls from CA-A (online, in the events); Host-B holds a certificate from
CA-B from the start and answers Host-A's negotiations."""

from __future__ import annotations

import textwrap

from tests.sim.scenarios import HOST_A, HOST_B, device_config

A_URL = "http://192.0.2.20/scep/a"
ROOT_URL = "http://192.0.2.20/scep/root"
SUBJECT = "CN=Host-A, OU=Branch, O=Test, C=US"
ENROLL_A = ("{device: Host-A, certificate-id: Host-A, ca-profile: CA-A, "
            f'challenge-password: s3cret, subject: "{SUBJECT}", ip-address: {HOST_A}, '
            "domain-name: host-a.example.net}")


def a_profiles(enrollment: str = "") -> str:
    lines = [
        "set security pki ca-profile Root-CA ca-identity Root-CA",
        f"set security pki ca-profile Root-CA enrollment url {ROOT_URL}",
        "set security pki ca-profile Root-CA revocation-check crl",
        "set security pki ca-profile CA-A ca-identity CA-A",
        f"set security pki ca-profile CA-A enrollment url {A_URL}",
        "set security pki ca-profile CA-A revocation-check crl",
    ]
    lines += [f"set security pki ca-profile CA-A enrollment {e}" for e in enrollment.split(",")
              if e]
    return "\n".join(lines)


def enroll_topology(*, events: str, scep_a: str = "challenge-password: s3cret",
                    enrollment: str = "", a_extra: str = "", a_devices: str = "",
                    ca_certificates: str = "{Root-CA: Root-CA, CA-A: CA-A}",
                    duration: str = "10m", b_validity: str = "365d") -> str:
    """`scep_a`: CA-A's scep entry after its url; `enrollment`: Host-A's CA-A profile's
    `enrollment` statements, comma-separated (`retry 3,retry-interval 60`); `a_devices`: more
    of Host-A's device entry (an `enroll:` list)."""
    a = textwrap.indent(device_config(me=HOST_A, peer=HOST_B, cid="Host-A",
                                      profiles=a_profiles(enrollment), extra=a_extra), " " * 6)
    b = textwrap.indent(device_config(me=HOST_B, peer=HOST_A, cid="Host-B", profiles="\n".join([
        "set security pki ca-profile Root-CA ca-identity Root-CA",
        "set security pki ca-profile Root-CA revocation-check crl",
        "set security pki ca-profile CA-B ca-identity CA-B",
        "set security pki ca-profile CA-B revocation-check crl",
    ])), " " * 6)
    return textwrap.dedent("""\
        name: enroll-test
        description: enrollment test
        start: 2013-03-01T09:00:00Z
        seed: 7
        duration: {duration}
        cas:
          Root-CA: {{subject: "C=US, O=Test, CN=Root-CA", key: rsa-1024,
                    crl: {{url: "http://192.0.2.10/root.crl", lifetime: 30d}},
                    scep: {{url: "{root_url}"}}}}
          CA-A:    {{issuer: Root-CA, subject: "C=US, O=Test, CN=CA-A", key: rsa-1024,
                    crl: {{url: "http://192.0.2.10/a.crl", lifetime: 30d}},
                    scep: {{url: "{a_url}", {scep_a}}}}}
          CA-B:    {{issuer: Root-CA, subject: "C=US, O=Test, CN=CA-B", key: rsa-1024,
                    crl: {{url: "http://192.0.2.10/b.crl", lifetime: 30d}}}}
        servers:
          crl-server: {{address: 192.0.2.10, latency: 10ms}}
          scep-server: {{address: 192.0.2.20, latency: 50ms}}
        devices:
          Host-A:
            address: {a_addr}
            ca-certificates: {ca_certificates}
        {a_devices}
            config: |
        {a}
          Host-B:
            address: {b_addr}
            enroll: [{{certificate-id: Host-B, ca: CA-B, key: rsa-1024, validity: {b_validity},
                      subject: "CN=Host-B, O=Test, C=US", ip-address: {b_addr}}}]
            ca-certificates: {{Root-CA: Root-CA, CA-B: CA-B}}
            config: |
        {b}
        links:
          - {{between: [Host-A, Host-B], latency: 5ms}}
        events:
        {events}
        """).format(duration=duration, root_url=ROOT_URL, a_url=A_URL, scep_a=scep_a,
                    a_addr=HOST_A, b_addr=HOST_B, a=a, b=b, ca_certificates=ca_certificates,
                    a_devices=a_devices, events=events, b_validity=b_validity)
