"""`ikesim peer TOPOLOGY DEVICE [--listen ADDR[:PORT]] [--natt-port PORT] [--initiate GATEWAY]
[--gateway-address GATEWAY=ADDR[:PORT[:NAT-T-PORT]]] [--out DIR] [--once]`: one device of a
topology as a live IKE peer on real UDP sockets (sim.live), IKE and NAT-T, until Ctrl-C or,
with --once, the end of the first negotiation. The run folder is then a normal one: `ikesim
show` and `ikesim cli` read it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from pki.files import shown
from sim.cli.errors import UsageError
from sim.cli.run import topology_path, warn
from sim.live.driver import CAPTURE, LivePeer, bind, peer_endpoints
from sim.live.endpoints import (
    NAT_T_PORT,
    Endpoint,
    Remote,
    check_port,
    parse_endpoint,
    parse_gateway_address,
)
from sim.live.start import started
from sim.report.run_folder import RunFolder
from sim.topology import Topology, load_topology

DEFAULT_LISTEN = "127.0.0.1:500"  # Junos listens on UDP 500; loopback unless the user says


def register(commands: argparse._SubParsersAction) -> None:
    peer = commands.add_parser("peer", help="run one device of a topology as a live IKE peer "
                                            "on a UDP socket")
    peer.add_argument("topology", metavar="TOPOLOGY",
                      help="a topology file (YAML), or a topology's name from `ikesim list`")
    peer.add_argument("device", metavar="DEVICE", help="the device of the topology to be")
    peer.add_argument("--listen", metavar="ADDR[:PORT]", default=DEFAULT_LISTEN,
                      help=f"the IPv4 address and UDP port to listen on (default "
                           f"{DEFAULT_LISTEN}; ports below 1024 need privileges)")
    peer.add_argument("--natt-port", metavar="PORT", default=str(NAT_T_PORT),
                      help=f"the UDP port for NAT-T on the --listen address (default "
                           f"{NAT_T_PORT}): IKE floats there, behind the non-ESP marker, when "
                           "the NAT-D payloads find a NAT")
    peer.add_argument("--initiate", metavar="GATEWAY",
                      help="start a negotiation with this gateway (default: respond only)")
    peer.add_argument("--gateway-address", action="append", default=[],
                      metavar="GATEWAY=ADDR[:PORT[:NAT-T-PORT]]",
                      help="where the gateway's peer really is (ports 500 and 4500 unless "
                           "given); repeatable. Only these are ever sent to or answered")
    peer.add_argument("--out", metavar="DIR",
                      help="run folder (default: runs/<name>-peer-<device>/)")
    peer.add_argument("--fetch-crls", action="store_true",
                      help="download CRLs whose host is no server of the topology over real "
                           "HTTP (default: such a download fails, as in a simulation)")
    peer.add_argument("--once", action="store_true",
                      help="stop when the first negotiation ends: exit 0 if it succeeded "
                           "(Phase-1, and Quick Mode when a VPN uses the gateway), 1 if not")
    peer.add_argument("--start", metavar="TIME",
                      help="move the topology's start (its certificates' and CRLs' dates) "
                           "to TIME (ISO 8601, or now): a real peer checks them against "
                           "its real clock")
    peer.set_defaults(handler=run_peer)


def run_peer(args: argparse.Namespace) -> int:
    topology = started(load_topology(topology_path(args.topology)), args.start)
    device = _device(topology, args.device)
    listen = parse_endpoint("--listen", args.listen)
    nat_t = Endpoint(host=listen.host, port=check_port("--natt-port", args.natt_port))
    if nat_t.port == listen.port:
        raise UsageError(f"--natt-port {nat_t.port}: the --listen port already; NAT-T needs a "
                         "port of its own")
    gateways = _gateways(topology, device, args.gateway_address)
    if args.initiate is not None:
        _gateway(topology, device, "--initiate", args.initiate)
        if args.initiate not in gateways:
            raise UsageError(f"--initiate {args.initiate}: say where its peer is with "
                             f"--gateway-address {args.initiate}=ADDR[:PORT] (ikesim sends "
                             "only where you say)")
    peers = peer_endpoints(topology, device, gateways)
    warn(topology)
    out = (Path(args.out) if args.out is not None
           else Path("runs") / f"{topology.name}-peer-{device}")
    sock = bind(listen)  # before the run folder: a port in use leaves nothing behind
    try:
        nat_t_sock = bind(nat_t, option="--natt-port")
    except BaseException:
        sock.close()
        raise
    try:
        folder_cm = RunFolder.open(out)
    except BaseException:
        sock.close()
        nat_t_sock.close()
        raise
    with folder_cm as folder:
        peer = LivePeer.start(topology, device=device, sock=sock, nat_t_sock=nat_t_sock,
                              peers=peers, out=folder.path, fetch_crls=args.fetch_crls)
        # The handlers go in before "listening" is printed: whoever waits for that line may
        # signal at once, and the peer must then stop and save, not die.
        previous = {number: signal.signal(number, lambda *_: peer.stop())
                    for number in (signal.SIGINT, signal.SIGTERM)}  # Ctrl-C, kill: stop
        try:
            print(f"ikesim peer: {device} of {topology.name} listening on "
                  f"{peer.network.local} (NAT-T {nat_t.port})"
                  + "".join(f"; {name} is {where}" for name, where in gateways.items()),
                  file=sys.stderr, flush=True)
            code = peer.run(initiate=args.initiate, once=args.once)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            peer.close()
        peer.finish()
        folder.commit(scenario=topology.name, seed=topology.seed)
    print(f"Results:  {out / 'results.json'}\n"
          f"Logs:     {out / 'logs' / device}/kmd, pkid, messages\n"
          f"Capture:  {out / 'logs' / device / CAPTURE} (keys: {CAPTURE}.keys)\n"
          f'Inspect:  ikesim show {out} {device} "show security ike security-associations"')
    if code is None:  # Ctrl-C: a responder's normal end; --once had no outcome yet
        return 1 if args.once else 0
    return code


def _device(topology: Topology, name: str) -> str:
    if name not in topology.devices:
        known = ", ".join(sorted(topology.devices)[:5])
        raise UsageError(f"device {shown(name)}: not in {topology.source} (its devices: "
                         f"{known}{', ...' if len(topology.devices) > 5 else ''})")
    return name


def _gateway(topology: Topology, device: str, option: str, name: str) -> None:
    gateways = topology.devices[device].config.ike.gateways
    if name not in gateways:
        raise UsageError(f"{option} {shown(name)}: {device} has no such IKE gateway (its "
                         f"gateways: {', '.join(sorted(gateways)) or 'none'})")
    if not gateways[name].addresses:
        raise UsageError(f"{option} {name}: the gateway has no address (a dynamic peer), "
                         "which ikesim peer does not serve yet")


def _gateways(topology: Topology, device: str, items: list[str]) -> dict[str, Remote]:
    found: dict[str, Remote] = {}
    for item in items:
        name, remote = parse_gateway_address(item)
        _gateway(topology, device, "--gateway-address", name)
        if name in found:
            raise UsageError(f"--gateway-address {name}: given twice")
        found[name] = remote
    return found
