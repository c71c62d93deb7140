"""What topologies model, run end to end: `establish-tunnels immediately`, CAs without CRLs, a
compromised intermediate CA revoked by its root, CRLs of realistic size (their download time
and the guide's 5 MB limit), and warnings for statements ikesim accepts but does not model."""

from __future__ import annotations

import signal
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from sim.junos.config import DeviceConfig
from sim.scenario import Scenario
from sim.topology import devices as topology_devices
from sim.topology import parse_topology
from tests.sim.scenarios import pair

TOPOLOGIES = Path(__file__).resolve().parents[2] / "topologies"
VPN = "\n".join([
    "set security ipsec proposal esp protocol esp",
    "set security ipsec proposal esp authentication-algorithm hmac-sha1-96",
    "set security ipsec proposal esp encryption-algorithm aes-128-cbc",
    "set security ipsec policy ipsec-pol proposals esp",
    "set security ipsec vpn vpn1 bind-interface st0.1",
    "set security ipsec vpn vpn1 ike gateway gw",
    "set security ipsec vpn vpn1 ike ipsec-policy ipsec-pol",
])


def run(text: str, tmp_path: Path, until: float | None = None) -> Scenario:
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")
    scenario.run(until)
    return scenario


def lines(scenario: Scenario, device: str, log: str) -> list[str]:
    daemon = scenario.devices[device]
    return [line[16:] for line in getattr(daemon, f"{log}_log").lines]


@pytest.fixture
def watchdog():
    """Turns a run that never ends into a failure (the defect some of these tests are for)."""
    def expire(signum, frame):
        raise TimeoutError("the run did not end")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# -- establish-tunnels immediately -----------------------------------------------------------


def test_establish_tunnels_immediately_brings_the_vpn_up_at_commit(tmp_path):
    text = pair(a={"extra": VPN + "\nset security ipsec vpn vpn1 establish-tunnels immediately"},
                b={"extra": VPN}, events="  []", duration="30s")
    (negotiation,) = run(text, tmp_path).results.in_order()
    assert (negotiation.initiator, negotiation.gateway, negotiation.started) == ("Host-A", "gw",
                                                                                 0.0)
    assert (negotiation.phase1, negotiation.phase2, negotiation.error) == ("done", "done", None)


def test_an_initiate_event_at_zero_is_not_doubled_by_establish_tunnels(tmp_path):
    text = pair(a={"extra": VPN + "\nset security ipsec vpn vpn1 establish-tunnels immediately"},
                b={"extra": VPN}, duration="30s",
                events="  - {at: 0s, initiate: {device: Host-A, gateway: gw}}")
    assert [(n.initiator, n.started) for n in run(text, tmp_path).results.in_order()] == [
        ("Host-A", 0.0)]


def test_on_traffic_waits_for_an_event(tmp_path):
    text = pair(a={"extra": VPN + "\nset security ipsec vpn vpn1 establish-tunnels on-traffic"},
                b={"extra": VPN}, events="  []", duration="30s")
    assert run(text, tmp_path).results.in_order() == []


# -- CAs and their CRLs ------------------------------------------------------------------------


def test_a_ca_without_a_crl_section_does_not_stop_time(tmp_path, watchdog):
    """Its publisher used to loop at 0 s for ever (it published nothing, so never waited)."""
    text = pair(cas='  Spare-CA: {subject: "CN=Spare-CA", key: ecdsa-256}')
    scenario = run(text, tmp_path)
    assert scenario.world.env.now == 600.0
    assert [n.phase1 for n in scenario.results.in_order()] == ["done"]


def test_revoking_a_compromised_intermediate_ca_fails_its_hosts(tmp_path):
    """Figure 4 with Root-CA revoking Sales-CA (instead of Sales-CA revoking Host-B): Host-A's
    second negotiation with Host-B, whose certificate Sales-CA issued, fails once Host-A has
    Root-CA's new CRL, and pkid says which certificate was revoked."""
    text = (TOPOLOGIES / "figure4-multilevel.yaml").read_text().replace(
        "revoke: {ca: Sales-CA, certificate: Host-B, reason: keyCompromise}",
        "revoke: {ca: Root-CA, certificate: Sales-CA, reason: cACompromise}")
    assert "certificate: Sales-CA" in text
    scenario = run(text, tmp_path)
    first, second = scenario.results.in_order()
    assert (first.phase1, first.error) == ("done", None)
    assert (second.phase1, second.error) == ("failed", "Authentication failed")
    sales_ca = scenario.hierarchy.certificate("Sales-CA").serial_number
    pkid = lines(scenario, "Host-A", "pkid")
    assert ("Certificate DC = example, CN = Host-B, OU = SALES, O = PKI, L = Sunnyvale, ST = CA, "
            "C = US verification failed: CN=Sales-CA,O=example,C=us: certificate serial "
            f"{sales_ca:X} was revoked on 2012-09-19 17:29 UTC (cACompromise)") in pkid
    assert ("CRL for CA profile Root-CA loaded from http://10.157.88.230:8080/crl/Root.crl, "
            "1 revoked, next refresh 09-20-2012 09:19") in pkid


def _swap(old: str, new: str, text: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _published(scenario: Scenario, path: str) -> bytes:
    return scenario.servers["crl-server"].documents[path]


def _with_extra(count: int) -> str:
    return pair().replace('"http://192.0.2.10/b.crl", lifetime: 1d',
                          f'"http://192.0.2.10/b.crl", lifetime: 1d, extra-revoked: {count}')


def test_a_crl_with_extra_entries_takes_its_size_in_download_time(tmp_path):
    scenario = run(_with_extra(20_000), tmp_path)
    der = _published(scenario, "/b.crl")
    size = len(der)
    assert len(x509.load_der_x509_crl(der)) == 20_000 and 540_000 < size < 541_000

    (download,) = [d for d in scenario.devices["Host-A"].pkid.download_records
                   if d.url.endswith("/b.crl")]
    server = scenario.topology.servers["crl-server"]
    assert download.ok
    assert download.finished - download.started == pytest.approx(
        server.latency + size / server.bandwidth)
    assert ("CRL for CA profile dynamic-001 loaded from http://192.0.2.10/b.crl, 20000 revoked, "
            "next refresh 03-02-2013 09:00") in lines(scenario, "Host-A", "pkid")
    assert [n.phase1 for n in scenario.results.in_order()] == ["done"]


def test_a_crl_over_five_megabytes_fails_the_download(tmp_path):
    scenario = run(_with_extra(200_000), tmp_path)
    size = len(_published(scenario, "/b.crl"))
    assert size > 5 * 1024 * 1024
    assert (f"CRL download for CA profile dynamic-001 from http://192.0.2.10/b.crl failed: CRL "
            f"file is {size} bytes; the maximum is 5 MB (5242880 bytes)") in lines(
        scenario, "Host-A", "pkid")
    assert [(n.phase1, n.error) for n in scenario.results.in_order()] == [
        ("failed", "Authentication failed")]


# -- warnings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unmodelled:
    """The shape of sim.junos.config.UnmodelledStatement (the junos-config part's)."""

    line: int
    statement: str


def test_unmodelled_statements_become_warnings_naming_the_file_line(monkeypatch):
    """Each statement the configuration accepted without modelling is one warning line with
    the topology file's line; a group's members share their template's (one warning)."""
    def parse_config(text: str, *, source: str) -> DeviceConfig:
        config = real(text, source=source)
        found = tuple(_Unmodelled(n, row.strip().removeprefix("set "))
                      for n, row in enumerate(text.splitlines(), 1) if "tcp-mss" in row)
        object.__setattr__(config, "unmodelled", found)
        return config

    real = topology_devices.parse_config
    monkeypatch.setattr(topology_devices, "parse_config", parse_config)
    mss = "set security flow tcp-mss ipsec-vpn mss 1350"
    text = _swap("links:\n", textwrap.dedent(f"""\
          Spoke:
            count: 3
            address-pool: 10.64.0.0/16
            config: |
              set interfaces ge-0/0/0 unit 0 family inet address {{address}}/16
              {mss}
        links:
        """), pair(b={"extra": mss}))
    rows = text.splitlines()
    host_b, spoke = (n for n, row in enumerate(rows, 1) if row.strip() == mss)
    topology = parse_topology(text, source="t.yaml")
    statement = "'security flow tcp-mss ipsec-vpn mss 1350' is not modelled by ikesim " \
                "(accepted, no effect)"
    assert topology.warnings == (
        f"t.yaml line {host_b}: devices.Host-B.config: {statement}",
        f"t.yaml line {spoke}: devices.Spoke-0001.config: {statement}")


def test_a_real_unmodelled_statement_is_a_warning():
    text = pair(b={"extra": "set security ike gateway gw general-ikeid"})
    line = text.splitlines().index("      set security ike gateway gw general-ikeid") + 1
    (warning,) = parse_topology(text, source="t.yaml").warnings
    assert warning.startswith(f"t.yaml line {line}: devices.Host-B.config: 'security ike "
                              "gateway gw general-ikeid' is not modelled")
