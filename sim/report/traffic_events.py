"""What a run's traffic leaves behind: results.json's "traffic" section (pings, flows, drops
outside any SA, and the ESP counters of every IPsec SA pair installed during the run), the ESP
SAs' keys for Wireshark, and the summary `ikesim run` prints. The ping and flow events
themselves start in the world (sim.world.traffic_start)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.report.finished import FinishedRun


def traffic_json(scenario: FinishedRun) -> dict:
    traffic = scenario.traffic
    return {
        "pings": [p.to_json() for p in traffic.pings],
        "flows": [f.to_json() for f in traffic.flows],
        "dropped": {name: vars(drops) for name, drops in sorted(traffic.drops.items())},
        "ipsec_sas": [
            {"device": name, "index": sa.record.index, "vpn": sa.record.vpn,
             "inbound_spi": sa.record.inbound_spi, "outbound_spi": sa.record.outbound_spi,
             **sa.counters.statistics().counters()}
            for name, device in scenario.devices.items() for sa in device.traffic.every_sa()],
    }


# Wireshark's names for the algorithms (its ESP SAs table, `esp_sa`).
_WIRESHARK_ENCRYPTION = {"3des-cbc": "TripleDES-CBC [RFC2451]", "aes-128-cbc": "AES-CBC [RFC3602]",
                         "aes-192-cbc": "AES-CBC [RFC3602]", "aes-256-cbc": "AES-CBC [RFC3602]"}
_WIRESHARK_AUTHENTICATION = {"hmac-md5-96": "HMAC-MD5-96 [RFC2403]",
                             "hmac-sha1-96": "HMAC-SHA-1-96 [RFC2404]",
                             "hmac-sha-256-128": "HMAC-SHA-256-128 [RFC4868]"}


def esp_sa_table(scenario: FinishedRun) -> list[str]:
    """One line per ESP SA direction, in Wireshark's `esp_sa` table format, so that the
    capture's ESP packets decrypt: each device's outbound SA (its peer holds the same keys
    inbound, so every SA appears once), in the order Quick Mode installed them."""
    lines = []
    installed = [sa for device in scenario.devices.values() for sa in device.traffic.every_sa()]
    # sorted() is stable: SAs installed at the same moment keep the devices' order.
    for sa in sorted(installed, key=lambda sa: sa.installed_at):
        record, keys = sa.record, sa.keys.outbound_keys
        lines.append(",".join(f'"{field}"' for field in (
            "IPv4", record.local_address, record.remote_address, f"0x{keys.spi:08x}",
            _WIRESHARK_ENCRYPTION[record.encryption_algorithm],
            f"0x{keys.encryption_key.hex()}",
            _WIRESHARK_AUTHENTICATION[record.authentication_algorithm],
            f"0x{keys.authentication_key.hex()}")))
    return lines


def traffic_summary(scenario: FinishedRun) -> str:
    """What `ikesim run` prints after its table: each ping summed up as Junos's ping ends
    (its statistics lines), each flow's packets sent and received."""
    lines = []
    for ping in scenario.traffic.pings:
        loss = (100 * (ping.transmitted - ping.received) // ping.transmitted
                if ping.transmitted else 0)
        lines += [f"--- {ping.destination} ping statistics --- (from {ping.source} behind "
                  f"{ping.device} at {ping.at:g} s)",
                  f"{ping.transmitted} packets transmitted, {ping.received} packets received, "
                  f"{loss}% packet loss"]
        if ping.rtts:
            ms = [t * 1000 for t in ping.rtts]
            mean = sum(ms) / len(ms)
            deviation = (sum((t - mean) ** 2 for t in ms) / len(ms)) ** 0.5
            lines.append(f"round-trip min/avg/max/stddev = {min(ms):.3f}/{mean:.3f}/"
                         f"{max(ms):.3f}/{deviation:.3f} ms")
    for flow in scenario.traffic.flows:
        lines.append(f"--- flow {flow.source} -> {flow.destination} --- (behind {flow.device} "
                     f"at {flow.at:g} s, {flow.rate:g} pps for {flow.duration:g} s): "
                     f"{flow.sent} packets sent, {flow.received} received")
    return "\n".join(lines)
