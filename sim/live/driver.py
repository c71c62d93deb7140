"""A live peer: the device a simulation of the topology would build, its time the real clock
(simpy.rt, not strict: a slow signature makes the device late, as a busy SRX is, instead of
failing the run) and its network one UDP socket (sim.live.transport).

    peers = peer_endpoints(topology, "Host-B", {"ike_cert_gw_01": remote})
    peer = LivePeer.start(topology, device="Host-B", sock=bind(listen),
                          nat_t_sock=bind(nat_t, option="--natt-port"), peers=peers,
                          out=folder)
    code = peer.run(initiate=None, once=True)   # None: stopped (peer.stop(), on a signal)
    peer.close()
    peer.finish()                               # results.json, stores, the socket's pcap

While it runs, `ikesim show` and `ikesim cli` reach it through control.sock in its run folder
(sim.live.control), answered between SimPy steps (sim.live.answers).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Generator, Mapping
from pathlib import Path

import simpy
import simpy.rt

from pki.files import inside, write_file
from sim.ike.natt import NAT_T_PORT, NON_ESP_MARKER
from sim.ike.payloads import Header, PayloadMalformed
from sim.junos import kmd_messages as msg
from sim.live.answers import LiveAnswers
from sim.live.control import ControlServer
from sim.live.crl_source import fetching
from sim.live.endpoints import Endpoint, PeerSetupError, Remote
from sim.live.results import LiveResults
from sim.live.transport import LiveNetwork
from sim.report.pcap import pcap_bytes
from sim.report.wireshark import ike_key_lines
from sim.scenario import Scenario
from sim.topology import Topology
from sim.topology.phase2_plan import vpn_for
from sim.world.device import Device
from sim.world.network import Datagram
from sim.world.world import World

WATCH = 0.05  # seconds between looks at the first negotiation's outcome (--once)
SERVE = 0.05  # seconds between looks at the control socket: a show answers within that
CAPTURE = "socket.pcap"  # in logs/<device>/: what crossed the socket, and its .keys


class LivePeer:
    def __init__(self, scenario: Scenario, device: Device, network: LiveNetwork,
                 control: ControlServer) -> None:
        self.scenario = scenario
        self.device = device
        self.network = network
        self.control = control
        self._stopping = False
        network.heard.append(self._heard)

    @classmethod
    def start(cls, topology: Topology, *, device: str, sock: socket.socket,
              nat_t_sock: socket.socket | None = None, peers: Mapping[str, Remote],
              out: Path, fetch_crls: bool = False) -> LivePeer:
        """Build the device as the simulation does (same seed, keys and certificates) on the
        bound sockets (`bind`) `sock` for IKE and `nat_t_sock` for NAT-T, which it then
        owns; `peers` (`peer_endpoints`) maps the topology addresses of its peers to the real
        ones; `fetch_crls`: a CRL from a host that is no server of the topology comes over
        real HTTP."""
        try:
            env = simpy.rt.RealtimeEnvironment(strict=False)
            world = World(start=topology.start, seed=topology.seed, env=env)
            holder: list[Device] = []
            network = LiveNetwork(env, sock=sock, nat_t_sock=nat_t_sock,
                                  address=topology.devices[device].address, peers=peers,
                                  unknown=lambda host: _unknown(holder, host))
            world.network = network
            scenario = Scenario.build(topology, out=out, world=world, results=LiveResults(),
                                      only=device)
            holder.append(scenario.devices[device])
            control = ControlServer.open(out, LiveAnswers(holder[0]), clock=lambda: env.now)
        except BaseException:
            sock.close()
            if nat_t_sock is not None:
                nat_t_sock.close()
            raise
        if fetch_crls:
            holder[0].pkid.resolve = fetching(holder[0].pkid.resolve, env)
        return cls(scenario, holder[0], network, control)

    def run(self, *, initiate: str | None, once: bool) -> int | None:
        """Until `stop()` (None), or with `once` until the first negotiation ended: 0 when its
        Phase-1 (and Quick Mode, if a VPN uses the gateway) succeeded, 1 when it failed."""
        env = self.scenario.world.env
        assert isinstance(env, simpy.rt.RealtimeEnvironment)
        env.sync()  # building took a while: the device's time starts now
        if initiate is not None:
            self.device.kmd.initiate(initiate)
        stop = env.event()
        env.process(self._watch(stop, once=once))
        env.process(self._serve())
        return env.run(until=stop)

    def stop(self) -> None:
        """Ask the run to end (a signal handler may call it): seen within WATCH seconds.
        A KeyboardInterrupt instead would land inside whichever SimPy process runs, which
        SimPy turns into that process's failure, not the run's end."""
        self._stopping = True

    def outcome(self) -> int | None:
        """The first negotiation's end as an exit status, None while it goes on."""
        self._settle()
        records = self.scenario.results.in_order()
        if not records:
            return None
        first = records[0]
        if "failed" in (first.phase1, first.phase2):
            return 1
        if first.phase1 != "done":
            return None
        if first.phase2 in ("done", "-") or vpn_for(self.device.config, first.gateway) is None:
            return 0
        return None

    def finish(self) -> None:
        """The run folder's files, as a simulation writes them, and the socket's capture."""
        self._settle()
        self.scenario.write()
        logs = inside(self.scenario.out, "logs", self.device.name)
        write_file(inside(logs, CAPTURE),
                   pcap_bytes(self.network.capture, start=self.scenario.topology.start))
        keys = ike_key_lines(self.scenario.key_table())
        write_file(inside(logs, f"{CAPTURE}.keys"), "".join(f"{k}\n" for k in keys).encode(),
                   mode=0o600)

    def close(self) -> None:
        """Close the UDP socket and the control socket (whose file leaves the run folder)."""
        self.network.close()
        self.control.close()

    def _serve(self) -> Generator[simpy.Event, object, None]:
        """Answer `ikesim show`/`ikesim cli` here, inside the environment's own time: the
        device's state does not move while an answer is computed."""
        while True:
            self.control.poll()
            yield self.scenario.world.env.timeout(SERVE)

    def _watch(self, stop: simpy.Event, *, once: bool) -> Generator[simpy.Event, object, None]:
        while not self._stopping:
            code = self.outcome() if once else None
            if code is not None:
                stop.succeed(code)
                return
            yield self.scenario.world.env.timeout(WATCH)
        stop.succeed(None)

    def _heard(self, datagram: Datagram) -> None:
        """The peer's messages in results.json too (a simulation records each side's sends;
        here the other side is not ours)."""
        data = datagram.payload
        if datagram.dport == NAT_T_PORT:  # IKE behind the non-ESP marker, or no IKE at all
            if not data.startswith(NON_ESP_MARKER):
                return  # a keepalive, or ESP in UDP: kmd's to drop
            data = data[len(NON_ESP_MARKER):]
        try:
            header = Header.decode(data)
        except PayloadMalformed:
            return  # kmd traced and dropped it
        results = self.scenario.results
        assert isinstance(results, LiveResults)
        results.heard(
            header.icookie, at=self.scenario.world.env.now, sender=datagram.src,
            receiver=datagram.dst, exchange=header.exchange.name,
            encrypted=header.encrypted, data=data)

    def _settle(self) -> None:
        """Name the real initiator of each negotiation this device answered (kmd's SA knows
        the gateway it matched and the peer's topology address)."""
        for record in self.scenario.results.negotiations.values():
            entry = self.device.kmd.sas.get(bytes.fromhex(record.icookie))
            if not record.gateway and entry is not None:
                record.gateway = entry.gateway or ""
                record.peer_address = record.initiator = entry.peer


def _unknown(holder: list[Device], host: str) -> None:
    """kmd's line for a datagram from a peer no gateway is configured for."""
    if holder:
        holder[0].kmd_log.message(msg.unknown_peer(host))


def peer_endpoints(topology: Topology, device: str,
                   gateways: Mapping[str, Remote]) -> dict[str, Remote]:
    """Each gateway's topology address -> the real peer the user named for it (`gateways`:
    gateway names of the device, each checked to have an address)."""
    config = topology.devices[device].config
    peers: dict[str, Remote] = {}
    for name, remote in gateways.items():
        address = config.ike.gateways[name].addresses[0]
        taken = {e for other in peers.values() for e in (other.ike, other.nat_t)}
        if {remote.ike, remote.nat_t} & taken or address in peers:
            raise PeerSetupError(f"--gateway-address {name}={remote.ike}: another gateway "
                                 "already uses that peer; one endpoint per peer")
        peers[address] = remote
    return peers


def bind(listen: Endpoint, *, option: str = "--listen") -> socket.socket:
    """A UDP socket of the peer, or a PeerSetupError saying why it cannot listen there
    (`option` names where the address came from)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((listen.host, listen.port))
    except OSError as exc:
        sock.close()
        hint = (f" (ports below 1024 need privileges: try {option} "
                f"{'' if option == '--natt-port' else listen.host + ':'}5000)"
                if exc.errno == errno.EACCES else "")
        raise PeerSetupError(f"{option} {listen}: cannot listen there: "
                             f"{exc.strerror or exc}{hint}") from None
    return sock
