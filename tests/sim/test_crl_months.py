"""CRLs over months: topologies/crl-months.yaml (weekly CRLs, a four-week CRL server outage, a
strict spoke, a spoke with `disable on-download-failure`, a hub with `refresh-interval 24`), and
a refresh-interval longer than the CRL's life."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from pki import der
from sim.scenario import Scenario
from sim.topology import load_topology, parse_topology
from tests.sim.scenarios import pair, profiles

TOPOLOGY = Path(__file__).parents[2] / "topologies" / "crl-months.yaml"
URL = "http://10.157.88.230:8080/crl/Corp.crl"
START = dt.datetime(2013, 1, 3, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def months(tmp_path_factory) -> Scenario:
    scenario = Scenario.build(load_topology(TOPOLOGY), out=tmp_path_factory.mktemp("months"))
    scenario.run()
    return scenario


def _lines(scenario: Scenario, device: str, log: str) -> list[str]:
    return list(getattr(scenario.devices[device], f"{log}_log").lines)


def _outcomes(scenario: Scenario, device: str) -> list[tuple[str, str]]:
    return [(f"{START + dt.timedelta(seconds=n.started):%m-%d}", n.phase1)
            for n in scenario.results.in_order() if n.initiator == device]


def _downloads(scenario: Scenario, device: str, *, ok: bool) -> list[dt.datetime]:
    return [START + dt.timedelta(seconds=round(r.started))
            for r in scenario.devices[device].pkid.download_records if r.ok is ok]


def test_pkid_refreshes_at_next_update_and_retries_hourly_while_the_server_is_down(months):
    pkid = _lines(months, "Spoke-A", "pkid")
    # Feb 28's CRL (nextUpdate Mar 8) loaded at the nextUpdate of Feb 21's.
    assert pkid[pkid.index("Mar  1 00:00:00 CRL for CA profile Corp-CA is due for refresh"):][:3] \
        == ["Mar  1 00:00:00 CRL for CA profile Corp-CA is due for refresh",
            f"Mar  1 00:00:00 Start downloading CRL for CA profile Corp-CA from {URL}",
            f"Mar  1 00:00:00 CRL for CA profile Corp-CA loaded from {URL}, 0 revoked, next "
            "refresh 03-08-2013 00:00"]
    at = pkid.index("Mar  8 00:00:00 CRL for CA profile Corp-CA is due for refresh")
    assert pkid[at:at + 5] == [
        "Mar  8 00:00:00 CRL for CA profile Corp-CA is due for refresh",
        f"Mar  8 00:00:00 Start downloading CRL for CA profile Corp-CA from {URL}",
        f"Mar  8 00:00:05 CRL download for CA profile Corp-CA from {URL} failed: connection "
        "timed out",
        "Mar  8 00:00:05 CRL refresh for CA profile Corp-CA failed; next attempt 03-08-2013 01:00",
        "Mar  8 01:00:00 CRL for CA profile Corp-CA is due for refresh"]
    # The server is back on Apr 2 at 00:00: that hour's attempt loads the current CRL.
    assert f"Apr  2 00:00:00 CRL for CA profile Corp-CA loaded from {URL}, 0 revoked, next " \
           "refresh 04-05-2013 00:00" in pkid


def test_one_timer_per_profile_over_six_months(months):
    """No polling: a download at each weekly nextUpdate, one an hour during the outage (Mar 8
    to Apr 2: 600) and one for each failed negotiation (3), nothing else."""
    loaded = _downloads(months, "Spoke-A", ok=True)
    assert loaded[0] == START + dt.timedelta(hours=12)  # the first negotiation's
    back = dt.datetime(2013, 4, 2, tzinfo=dt.UTC)  # the server's return
    assert back in loaded
    assert {(d.weekday(), d.time()) for d in loaded[1:] if d != back} == {(4, dt.time(0))}
    # The first, Jan 11 to Mar 1 (8), Apr 2, Apr 5 to Jun 28 (13).
    assert len(loaded) == 1 + 8 + 1 + 13
    failed = _downloads(months, "Spoke-A", ok=False)
    assert len(failed) == 25 * 24 + 3
    # The hub's refresh-interval 24: a day apart (and the download's few milliseconds),
    # whatever the CRL's nextUpdate, but for the outage.
    hub = _downloads(months, "Hub", ok=True)
    gaps = [b - a for a, b in zip(hub, hub[1:], strict=False)]
    day = dt.timedelta(days=1)
    assert [g for g in gaps if not day <= g <= day + dt.timedelta(seconds=1)] == [
        dt.datetime(2013, 4, 2, tzinfo=dt.UTC) - dt.datetime(2013, 3, 3, 12, tzinfo=dt.UTC)]
    assert len(gaps) == 59 + 1 + 92


def test_tunnels_fail_once_the_cached_crl_expires_and_come_back(months):
    strict = _outcomes(months, "Spoke-A")
    assert [o for o in strict if o[1] == "failed"] == [
        ("03-14", "failed"), ("03-21", "failed"), ("03-28", "failed")]
    assert len(strict) == 26 and ("03-07", "done") in strict and ("04-04", "done") in strict
    assert ("Mar 14 12:00:10 Certificate CN = Hub, OU = VPN, O = example, C = US verification "
            "failed: C=US,O=example,OU=VPN,CN=Hub: CRL from CN=Corp-CA,O=example,C=us expired "
            "at 2013-03-08 00:00 UTC (nextUpdate)") in _lines(months, "Spoke-A", "pkid")
    assert ("Mar 14 12:00:10 Phase-1 [initiator] failed with error(Authentication failed) for "
            "local=ipv4(udp:500,[0..3]=30.1.1.31) remote=ipv4(udp:500,[0..3]=30.1.1.1)"
            ) in _lines(months, "Spoke-A", "kmd")
    assert "Mar 14 12:00:10 IKE SA with 30.1.1.31: peer sent notification Authentication " \
           "failed (24)" in _lines(months, "Hub", "kmd")


def test_disable_on_download_failure_keeps_the_tunnel_up(months):
    assert {o[1] for o in _outcomes(months, "Spoke-B")} == {"done"}
    pkid = _lines(months, "Spoke-B", "pkid")
    at = pkid.index("Mar 14 12:00:10 CRL for CA profile Corp-CA unavailable; revocation check "
                    "skipped (disable on-download-failure)")
    assert pkid[at + 3] == ("Mar 14 12:00:10 Certificate CN = Hub, OU = VPN, O = example, C = US "
                            "verification success")


def test_a_refresh_interval_longer_than_the_crl_refreshes_at_next_update(tmp_path):
    """CRLs valid a day, refresh-interval 48: pkid fetches the next CRL when the cached one
    expires, so a negotiation a day and a half later still finds a valid CRL."""
    text = pair(a_profiles=profiles("CA-A", root_check="crl refresh-interval 48",
                                    own_check="crl refresh-interval 48"),
                duration="2d",
                events="  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
                       "  - {at: 36h, initiate: {device: Host-A, gateway: gw}}")
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")
    scenario.run()
    assert [n.phase1 for n in scenario.results.in_order()] == ["done", "done"]
    pkid = _lines(scenario, "Host-A", "pkid")
    assert ("Mar  1 09:00:01 CRL for CA profile Root-CA loaded from http://192.0.2.10/root.crl, "
            "0 revoked, next refresh 03-03-2013 09:00") in pkid
    assert ("Mar  1 09:00:01 CRL for CA profile Root-CA expires 03-02-2013 09:00, before its "
            "refresh-interval: refreshed then") in pkid
    assert "Mar  2 09:00:00 CRL for CA profile Root-CA is due for refresh" in pkid


def _without_next_update(crl: x509.CertificateRevocationList, key) -> bytes:
    """`crl` as a CA that omits nextUpdate would publish it (RFC 5280 5.1.2.5 allows it;
    `cryptography` cannot build one): the TBSCertList without it, signed again."""
    tbs, algorithm, _ = der.read_one(crl.public_bytes(Encoding.DER)).children()
    fields = tbs.children()  # version, signature, issuer, thisUpdate, nextUpdate, ...
    assert fields[4].tag in (0x17, 0x18)
    tbs_der = der.encode(der.SEQUENCE, b"".join(f.encoding for f in fields[:4] + fields[5:]))
    signature = key.sign(tbs_der, ec.ECDSA(hashes.SHA256()))
    return der.encode(der.SEQUENCE, tbs_der + algorithm.encoding
                      + der.encode(der.BIT_STRING, b"\x00" + signature))


def test_a_crl_without_next_update_is_refreshed_a_week_after_loading(tmp_path):
    """The guide's default: "next-update time in CRL, or 1 week, if no next-update time is
    specified"."""
    text = pair(duration="8d", events="  - {at: 1s, initiate: {device: Host-A, gateway: gw}}")
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")
    scenario.run(until=0.5)  # Root-CA has published; it publishes again in 23 hours
    crl = x509.load_der_x509_crl(scenario.servers["crl-server"].documents["/root.crl"])
    published = _without_next_update(crl, scenario.hierarchy.key("Root-CA"))
    assert x509.load_der_x509_crl(published).next_update_utc is None
    scenario.servers["crl-server"].publish("http://192.0.2.10/root.crl", published)
    scenario.run()
    pkid = _lines(scenario, "Host-A", "pkid")
    assert ("Mar  1 09:00:01 CRL for CA profile Root-CA loaded from http://192.0.2.10/root.crl, "
            "0 revoked, next refresh 03-08-2013 09:00") in pkid
    # Not before: then the CA's current CRL, which has a nextUpdate again.
    assert [line for line in pkid if "Root-CA is due for refresh" in line][0] == \
        "Mar  8 09:00:01 CRL for CA profile Root-CA is due for refresh"
