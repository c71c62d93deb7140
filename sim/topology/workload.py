"""What a topology's configuration makes ikesim do on its own over the run, bounded before it
runs: rekeys, negotiations traffic starts, DPD probes and NAT keepalives.

Events and devices are counted as they are read (sim.topology.limits), but a few `set` lines
schedule work without any event: a 180 s IPsec lifetime kept up by `establish-tunnels
immediately` (or by traffic) is rekeyed 175,000 times over a year, DPD probes every 10 s while
an IKE SA is up, a device behind a NAT sends a keepalive every `nat-keepalive` seconds
(5 by default), each datagram simulated and kept for the capture, and traffic towards a peer
that keeps failing starts a negotiation every 10 s (sim.world.traffic's hold-down). This module
counts that work from the configuration and events, as an upper bound, and refuses a topology
past the limits in one line at its `duration:` that names what needs the most.

Per tunnel (a device's gateway with a static peer address, the side that initiates):
- it stays up all run when one of its VPNs says `establish-tunnels immediately` or the device
  sends traffic; otherwise it lasts at most one IKE SA lifetime per initiation;
- while up all run, its IKE SA and every IPsec SA are rekeyed at their soft lifetime;
- while the device sends traffic, each packet may start a negotiation, one every hold-down;
- while up, DPD on either end probes every interval (an R-U-THERE and its ACK), and a NAT on a
  link of either end sends a keepalive every `nat-keepalive` seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.ike.dpd import DpdMode
from sim.junos.config import DeviceConfig
from sim.junos.config_ike import IKE_LIFETIME_DEFAULT, IkeGateway
from sim.junos.config_ipsec import IPSEC_LIFETIME_DEFAULT, EstablishTunnels, IpsecVpn
from sim.junos.ops_sa import soft_lifetime
from sim.topology.limits import MAX_PERIODIC_MESSAGES, MAX_REKEYS
from sim.topology.traffic_plan import TRIGGER_HOLD_DOWN
from sim.topology.values import DeviceEntry, EventEntry, LinkEntry, TopologyError

__all__ = ["Workload", "check_workload", "workload", "workload_problem"]


@dataclass(frozen=True, kw_only=True)
class Workload:
    """Upper bounds over the run, and the device and cause of the largest share of each."""

    rekeys: int = 0  # and negotiations traffic may start
    messages: int = 0  # DPD probes and ACKs, NAT keepalives
    rekeys_by: tuple[int, str] = (0, "")
    messages_by: tuple[int, str] = (0, "")

    def __post_init__(self) -> None:
        if self.rekeys < 0 or self.messages < 0:
            raise ValueError("a workload counts what happens: not negative")


def _ipsec_lifetime(config: DeviceConfig, vpns: list[IpsecVpn]) -> tuple[int, int]:
    """(the number of a gateway's VPNs, the shortest IPsec lifetime among them)."""
    shortest = IPSEC_LIFETIME_DEFAULT
    for vpn in vpns:
        policy = config.ipsec.policies.get(vpn.ipsec_policy or "")
        for name in policy.proposals if policy else ():
            proposal = config.ipsec.proposals.get(name)
            if proposal is not None:
                shortest = min(shortest, proposal.effective_lifetime_seconds)
    return len(vpns), shortest


def _ike_lifetime(config: DeviceConfig, gateway: IkeGateway) -> int:
    policy = config.ike.policies.get(gateway.ike_policy or "")
    lifetimes = [config.ike.proposals[name].effective_lifetime_seconds
                 for name in (policy.proposals if policy else ())
                 if name in config.ike.proposals]
    return min(lifetimes, default=IKE_LIFETIME_DEFAULT)


def _dpd_interval(config: DeviceConfig, *, traffic: bool) -> int | None:
    """The shortest DPD interval among the device's gateways (a responder probes through the
    gateway its peer matched: any of them). `optimized` (the default mode) probes only when
    what it sent had no answer: never on a tunnel that carries no traffic."""
    intervals = [g.dead_peer_detection.interval for g in config.ike.gateways.values()
                 if g.dead_peer_detection is not None
                 and (traffic or g.dead_peer_detection.mode is not DpdMode.OPTIMIZED)]
    return min(intervals, default=None)


def _soft(lifetime: int) -> int:
    """When the initiator rekeys."""
    return max(1, soft_lifetime(lifetime))


def _traffic(events: Sequence[EventEntry]) -> dict[str, tuple[float, int]]:
    """When each device that sends traffic sends its last packet, and how many it sends."""
    found: dict[str, tuple[float, int]] = {}
    for event in events:
        args = event.args
        if event.action == "ping":
            count = int(args["count"])  # type: ignore[call-overload]
            end = event.at + count * args["interval"]  # type: ignore[operator]
        elif event.action == "flow":
            count = int(args["rate"] * args["duration"])  # type: ignore[operator]
            end = event.at + args["duration"]  # type: ignore[operator]
        else:
            continue
        sender = str(args["from"])
        until, packets = found.get(sender, (0.0, 0))
        found[sender] = max(until, end), packets + count
    return found


def workload(devices: Mapping[str, DeviceEntry], links: Sequence[LinkEntry],
             events: Sequence[EventEntry], duration: float) -> Workload:
    by_address = {entry.address: entry for entry in devices.values()}
    traffic = _traffic(events)
    initiations: dict[tuple[str, str], int] = {}
    reboots: dict[str, int] = {}  # a reboot or kmd restart renegotiates every tunnel it had
    for event in events:
        if event.action == "initiate":
            key = (str(event.args["device"]), str(event.args["gateway"]))
            initiations[key] = initiations.get(key, 0) + 1
        elif event.action in ("restart", "device-up"):
            name = str(event.args["device"])
            reboots[name] = reboots.get(name, 0) + 1
    dpd = {(name, traffic_): _dpd_interval(entry.config, traffic=traffic_)
           for name, entry in devices.items() for traffic_ in (False, True)}
    behind_nat = {link.nat.inside for link in links if link.nat is not None}
    rekeys = messages = 0
    rekeys_by: tuple[int, str] = (0, "")
    messages_by: tuple[int, str] = (0, "")
    for device in devices.values():
        config = device.config
        # How long each gateway's tunnel is kept up from the start: all run, or while the
        # device sends traffic (rekey on use).
        sends_until, packets = traffic.get(device.name, (0.0, 0))
        vpns: dict[str | None, list[IpsecVpn]] = {}  # by gateway (a hub has thousands)
        for vpn in config.ipsec.vpns.values():
            vpns.setdefault(vpn.gateway, []).append(vpn)
        kept_until = dict.fromkeys((v.gateway for v in config.ipsec.vpns.values()),
                                   min(duration, sends_until))
        # Traffic with no SA to carry it starts a negotiation, at most one per gateway every
        # hold-down (a peer that keeps failing fast), and at most one per packet.
        triggers = 0
        for vpn in config.ipsec.vpns.values():
            if vpn.establish_tunnels is EstablishTunnels.IMMEDIATELY:
                kept_until[vpn.gateway] = duration
        for gateway in config.ike.gateways.values():
            if not gateway.addresses:
                continue  # a dynamic peer: counted at the peer that initiates
            peer = by_address.get(gateway.addresses[0])
            kept = kept_until.get(gateway.name, 0.0)
            ike = _ike_lifetime(config, gateway)
            # Each initiation (establish-tunnels or traffic at the start, initiate events, a
            # reboot of either end) keeps an IKE SA up for at most its lifetime.
            started = (initiations.get((device.name, gateway.name), 0)
                       + reboots.get(device.name, 0) + (reboots.get(peer.name, 0) if peer else 0))
            span = min(duration, kept + ike * (1 + started))
            rekeys += started
            rekeys_by = max(rekeys_by, (started, f"events that start {device.name}'s gateway "
                                                 f"{gateway.name} (initiate, restart, "
                                                 "device-up)"))
            if kept > 0:
                count, ipsec = _ipsec_lifetime(config, vpns.get(gateway.name, []))
                mine = int(kept // _soft(ike)) + count * int(kept // _soft(ipsec))
                if packets:
                    triggers += int(kept // TRIGGER_HOLD_DOWN) + 1
                rekeys += mine
                rekeys_by = max(rekeys_by, (mine, f"rekeys of {device.name}'s gateway "
                                                  f"{gateway.name} (IKE lifetime {ike} s, "
                                                  f"IPsec {ipsec} s, kept up {kept:,.0f} s)"))
            sent = 0
            carries = device.name in traffic or (peer is not None and peer.name in traffic)
            for end in (device, peer):
                interval = dpd.get((end.name, carries)) if end is not None else None
                if interval is not None:
                    sent += 2 * int(span // interval)
            if device.address in behind_nat or (peer and peer.address in behind_nat):
                sent += int(span // gateway.nat_keepalive)
            messages += sent
            messages_by = max(messages_by, (sent, f"{device.name}'s gateway {gateway.name} "
                                                  f"(DPD probes and NAT keepalives over "
                                                  f"{span:,.0f} s)"))
        triggers = min(triggers, packets)
        rekeys += triggers
        rekeys_by = max(rekeys_by, (triggers, f"{device.name}'s traffic, if its tunnels "
                                              f"fail ({packets:,} packets, a negotiation "
                                              f"every {TRIGGER_HOLD_DOWN:g} s at most)"))
    return Workload(rekeys=rekeys, messages=messages, rekeys_by=rekeys_by,
                    messages_by=messages_by)


def workload_problem(devices: Mapping[str, DeviceEntry], links: Sequence[LinkEntry],
                     events: Sequence[EventEntry], duration: float) -> str | None:
    """What is past the limits in a run of `duration` seconds, or None."""
    load = workload(devices, links, events, duration)
    if load.rekeys > MAX_REKEYS:
        return (f"rekeys and traffic can start about {load.rekeys:,} negotiations in this run, "
                f"at most {MAX_REKEYS:,} (most: {load.rekeys_by[0]:,}, {load.rekeys_by[1]}); "
                "shorten the duration, lengthen the lifetimes or send less traffic")
    if load.messages > MAX_PERIODIC_MESSAGES:
        return (f"the configuration sends about {load.messages:,} DPD and NAT keepalive "
                f"messages in this run, at most {MAX_PERIODIC_MESSAGES:,} (most: "
                f"{load.messages_by[0]:,} by {load.messages_by[1]}); shorten the duration or "
                "lengthen the intervals")
    return None


def check_workload(source: str, line: int | None, devices: Mapping[str, DeviceEntry],
                   links: Sequence[LinkEntry], events: Sequence[EventEntry],
                   duration: float) -> None:
    """A TopologyError at the `duration:` line when the run would go past the limits."""
    problem = workload_problem(devices, links, events, duration)
    if problem is not None:
        raise TopologyError(source, line, f"duration: {problem}")
