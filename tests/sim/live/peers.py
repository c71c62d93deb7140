"""Running `ikesim peer` processes on loopback for the live tests: free high ports, a wait
for "listening on" with a deadline, and the simulation of the same topology to compare with."""

from __future__ import annotations

import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sim.cli.run import execute
from sim.topology import load_topology

FIGURE4 = Path(__file__).resolve().parents[3] / "topologies" / "figure4-multilevel.yaml"
DEADLINE = 60.0  # seconds any one peer process may take: a hang fails, never blocks CI
_TIME = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ", re.MULTILINE)


def free_ports(count: int) -> list[int]:
    """UDP ports nothing listens on now (the kernel's choice, so never a privileged one)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in socks]
    for sock in socks:
        sock.close()
    return ports


def traced_figure4(folder: Path, *, revoke_at_start: bool = False,
                   sales_crl_url: str | None = None, b_without_root: bool = False) -> Path:
    """figure4-multilevel with `ike traceoptions flag all` on both hosts (so kmd logs every
    step), and optionally Sales-CA revoking Host-B at 0 s instead of 9 min, publishing its
    CRL at another URL, or Host-B without the Root-CA profile (Host-A's CA unknown to it)."""
    text = FIGURE4.read_text()
    pki = "      set security pki traceoptions flag all\n"
    assert text.count(pki) == 2
    text = text.replace(pki, pki + "      set security ike traceoptions flag all\n")
    if revoke_at_start:
        assert text.count("{at: 9m, revoke:") == 1
        text = text.replace("{at: 9m, revoke:", "{at: 0s, revoke:")
    if sales_crl_url is not None:
        old = "http://10.157.88.230:8080/crl/Sales.crl"
        assert text.count(old) == 1
        text = text.replace(old, sales_crl_url)
    if b_without_root:
        profile = ("      set security pki ca-profile Root-CA ca-identity Root-CA\n"
                   "      set security pki ca-profile Root-CA enrollment url "
                   "http://10.157.88.230:8080/scep/Root/\n"
                   "      set security pki ca-profile Root-CA revocation-check crl\n")
        certificates = "    ca-certificates: {Root-CA: Root-CA, Sales-CA: Sales-CA}\n"
        assert text.count(profile) == 1 and text.count(certificates) == 1
        text = text.replace(profile, "").replace(
            certificates, "    ca-certificates: {Sales-CA: Sales-CA}\n")
    path = folder / "figure4-traced.yaml"
    path.write_text(text)
    return path


class Peer:
    """One `ikesim peer` process, started in `cwd`, its run folder `cwd/<out>`."""

    def __init__(self, cwd: Path, topology: Path, device: str, *, port: int,
                 gateway_port: int, out: str, initiate: bool = False, once: bool = True,
                 extra: tuple[str, ...] = (), natt_port: int | None = None,
                 gateway: str = "ike_cert_gw_01", gateway_natt_port: int | None = None
                 ) -> None:
        """`natt_port`: the NAT-T socket's (default: a free one, so that peers on one
        loopback never meet on 4500); `gateway_natt_port`: the peer's (default 4500)."""
        natt_port = natt_port if natt_port is not None else free_ports(1)[0]
        where = f"127.0.0.1:{gateway_port}" + (
            f":{gateway_natt_port}" if gateway_natt_port is not None else "")
        argv = [sys.executable, "-m", "sim", "peer", str(topology), device,
                "--listen", f"127.0.0.1:{port}", "--natt-port", str(natt_port),
                "--gateway-address", f"{gateway}={where}",
                "--out", out, *(("--initiate", gateway) if initiate else ()),
                *(("--once",) if once else ()), *extra]
        self.run = cwd / out
        self.process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.err = ""

    def listening(self) -> None:
        """Wait until the peer says it listens (its keys and certificates are built)."""
        selector = selectors.DefaultSelector()
        assert self.process.stderr is not None
        selector.register(self.process.stderr, selectors.EVENT_READ)
        give_up = time.monotonic() + DEADLINE
        while "listening on" not in self.err:
            left = give_up - time.monotonic()
            assert left > 0 and selector.select(left), "the peer never listened"
            line = self.process.stderr.readline()
            assert line, f"the peer ended before listening: {self.err}"
            self.err += line

    def interrupt(self, number: int = signal.SIGINT) -> None:
        self.process.send_signal(number)

    def wait(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=DEADLINE)
        return self.process.returncode, out, self.err + err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def simulated(topology: Path, out: Path) -> Path:
    """The simulation of `topology` through its first negotiation (Host-A initiates at 10 s)."""
    execute(load_topology(topology), out=out, until=60.0, plots=False)
    return out


def untimed(path: Path) -> str:
    """A log without its timestamps: a live run happens at other seconds than a simulated one."""
    return untimed_text(path.read_text())


def untimed_text(text: str) -> str:
    return _TIME.sub("", text)


def staged_log(peer: Peer, device: str, ready: Callable[[str], bool]) -> None:
    """Wait (bounded) until the kmd log a running peer writes in its staging run folder
    satisfies `ready`."""
    give_up = time.monotonic() + DEADLINE
    pattern = f".{peer.run.name}.partial-*/logs/{device}/kmd"
    while time.monotonic() < give_up:
        logs = list(peer.run.parent.glob(pattern))
        if logs and ready(logs[0].read_text()):
            return
        time.sleep(0.05)
    raise AssertionError(f"{device}'s kmd log never got there")


def udp_datagrams(pcap: Path) -> list[tuple[str, int, str, int, bytes]]:
    """The UDP datagrams of a raw-IPv4 pcap (unfragmented): (source, port, destination,
    port, payload)."""
    data = pcap.read_bytes()
    found, at = [], 24
    while at < len(data):
        length = struct.unpack_from("<I", data, at + 8)[0]
        packet = data[at + 16:at + 16 + length]
        at += 16 + length
        header = (packet[0] & 0x0F) * 4
        if packet[9] != socket.IPPROTO_UDP:
            continue
        sport, dport, size = struct.unpack_from("!HHH", packet, header)
        found.append((socket.inet_ntoa(packet[12:16]), sport, socket.inet_ntoa(packet[16:20]),
                      dport, packet[header + 8:header + size]))
    return found
