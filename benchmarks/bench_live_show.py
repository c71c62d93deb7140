"""`ikesim show` on a running `ikesim peer` costs about what it costs on a finished run, and
the control socket costs an idle peer little.

    .venv/bin/python benchmarks/bench_live_show.py [--repeat 50]

Starts Host-B and Host-A of figure4-multilevel as live peers on loopback, waits for their
negotiation, then in this one process answers `show security ike security-associations`
`--repeat` times from the live Host-B (through its control socket) and, once the peers have
stopped, as many times from the finished run folder; reports the medians and their ratio, and
the CPU seconds the idle Host-B used per second of wall time before and while it answered.
Measured (Dec 2026, shared 2-core machine, loaded): 50 ms live and 67 ms finished (ratio
0.75: the peer holds its state in memory, a finished run is read from disk); Host-B used 0.016
CPU seconds a second idle and 0.024 while answering. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.cli.main import main as ikesim

TOPOLOGY = Path(__file__).resolve().parents[1] / "topologies" / "figure4-multilevel.yaml"
COMMAND = "show security ike security-associations"


def _ports() -> tuple[int, ...]:
    """Four free UDP ports: IKE and NAT-T for each of the two peers."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    ports = tuple(sock.getsockname()[1] for sock in socks)
    for sock in socks:
        sock.close()
    return ports


def _peer(cwd: Path, device: str, ports: tuple[int, int], other: tuple[int, int],
          *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "peer", str(TOPOLOGY), device, "--listen",
         f"127.0.0.1:{ports[0]}", "--natt-port", str(ports[1]), "--gateway-address",
         f"ike_cert_gw_01=127.0.0.1:{other[0]}:{other[1]}",
         "--out", device, *extra], cwd=cwd, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) the process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _show(run: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert ikesim(["show", str(run), "Host-B", COMMAND]) == 0
        times.append(time.perf_counter() - began)
        assert "Main" in out.getvalue()
    return statistics.median(times)


def _wait_up(run: Path) -> None:
    give_up = time.monotonic() + 120
    while time.monotonic() < give_up:
        with contextlib.redirect_stdout(io.StringIO()) as out, \
                contextlib.redirect_stderr(io.StringIO()):
            ikesim(["show", str(run), "Host-B", COMMAND])
        if " UP " in out.getvalue():
            return
        time.sleep(0.2)
    raise SystemExit("the peers never negotiated")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        ports = _ports()
        port_a, port_b = ports[:2], ports[2:]
        b = _peer(cwd, "Host-B", port_b, port_a)
        time.sleep(5)  # its keys and certificates are built
        a = _peer(cwd, "Host-A", port_a, port_b, "--initiate", "ike_cert_gw_01")
        try:
            _wait_up(cwd / "Host-B")
            cpu, wall = _cpu(b.pid), time.monotonic()
            time.sleep(5)
            idle = (_cpu(b.pid) - cpu) / (time.monotonic() - wall)
            cpu, wall = _cpu(b.pid), time.monotonic()
            live = _show(cwd / "Host-B", repeat)
            busy = (_cpu(b.pid) - cpu) / (time.monotonic() - wall)
        finally:
            for peer in (a, b):
                peer.send_signal(signal.SIGINT)
            for peer in (a, b):
                peer.wait(timeout=120)
        finished = _show(cwd / "Host-B", repeat)
    print(f"show on the live peer:   {live * 1000:.1f} ms (median of {repeat})")
    print(f"show on the finished run: {finished * 1000:.1f} ms")
    print(f"ratio live / finished:   {live / finished:.2f}")
    print(f"Host-B CPU per wall second: idle {idle:.3f}, answering shows {busy:.3f}")


if __name__ == "__main__":
    main()
