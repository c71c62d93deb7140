"""A private strongSwan charon against `ikesim peer`, for the interop tests.

Each test gets a small lab: two network namespaces joined by a veth pair, one holding the
topology address of the ikesim device, the other that of its peer, where charon runs. Both
sides then speak from port 500 at the addresses the topology gives them, so what each puts in
its NAT-D payloads matches what the other sees. Or (Lab.loopback) one namespace where both
speak on 127.0.0.1, charon on high ports: the NAT-D payloads then show a NAT both ways, and
IKE floats to the NAT-T ports. Nothing touches the host's own network: the namespaces vanish
with their last process.

ikesim is driven through its command line (`python -m sim peer`, `python -m sim pki export`,
`python -m sim run`) only. Every wait has a deadline; charon and the namespaces are killed at
the end whatever happened.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.sim.live.peers import Peer

CHARON = Path("/usr/lib/ipsec/charon")
DEADLINE = 60.0  # seconds any one step may take: a hang fails the test, never blocks CI
# charon's plugins for IKEv1 with certificates, nothing else (no network fetching: the CRLs
# come from the exported files). kernel-netlink installs the IPsec SAs in the lab's namespace
# where the kernel has ESP (XFRM); the tests judge Quick Mode by both sides' logs where not.
PLUGINS = ("random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints revocation "
           "kernel-netlink socket-default vici")
_TIME = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ", re.MULTILINE)
_COOKIES = re.compile(r"\b[0-9a-f]{8}\b")


@dataclass(frozen=True, kw_only=True)
class Side:
    """One end of the lab: the namespace's holder process and its address."""

    pid: int
    address: str

    def argv(self, *command: str) -> list[str]:
        return ["nsenter", "-t", str(self.pid), "-n", *command]


@cache
def unavailable() -> str | None:
    """Why the interop tests cannot run here, or None."""
    for tool in ("unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (util-linux, iproute2)"
    if not CHARON.exists() or shutil.which("swanctl") is None:
        return ("strongSwan is not installed (Debian: strongswan-charon, strongswan-swanctl, "
                "libcharon-extra-plugins; .ci/run installs them)")
    try:
        lab = Lab.open("10.99.0.1", "10.99.0.2")
    except LabError as error:
        return f"cannot create network namespaces here: {error}"
    lab.close()
    return None


class LabError(RuntimeError):
    """The namespaces or the veth pair could not be made."""


class Lab:
    """Two network namespaces joined by a veth pair: `ikesim` and `charon` sides."""

    def __init__(self, holders: list[subprocess.Popen], ikesim: Side, charon: Side) -> None:
        self._holders = holders
        self.ikesim = ikesim
        self.charon = charon

    @classmethod
    def loopback(cls) -> Lab:
        """One namespace, both sides on its 127.0.0.1."""
        holder = subprocess.Popen(["unshare", "-n", "sleep", str(int(DEADLINE * 10))])
        side = Side(pid=holder.pid, address="127.0.0.1")
        lab = cls([holder], side, side)
        try:
            time.sleep(0.2)  # unshare has entered its namespace before sleep starts
            lab._ip(side, "link", "set", "lo", "up")
        except BaseException:
            lab.close()
            raise
        return lab

    @classmethod
    def open(cls, ikesim_address: str, charon_address: str) -> Lab:
        holders = [subprocess.Popen(["unshare", "-n", "sleep", str(int(DEADLINE * 10))])
                   for _ in range(2)]
        lab = cls(holders, Side(pid=holders[0].pid, address=ikesim_address),
                  Side(pid=holders[1].pid, address=charon_address))
        try:
            time.sleep(0.2)  # unshare has entered its namespace before sleep starts
            lab._ip(lab.ikesim, "link", "add", "ike0", "type", "veth", "peer", "name", "ike1",
                    "netns", str(lab.charon.pid))
            for side, name in ((lab.ikesim, "ike0"), (lab.charon, "ike1")):
                lab._ip(side, "link", "set", "lo", "up")
                lab._ip(side, "addr", "add", f"{side.address}/24", "dev", name)
                lab._ip(side, "link", "set", name, "up")
        except BaseException:
            lab.close()
            raise
        return lab

    def _ip(self, side: Side, *args: str) -> None:
        done = subprocess.run(side.argv("ip", *args), capture_output=True, text=True,
                              timeout=DEADLINE)
        if done.returncode != 0:
            raise LabError(f"ip {' '.join(args)}: {done.stderr.strip()}")

    def close(self) -> None:
        for holder in self._holders:
            holder.kill()
            holder.wait()


def strongswan_conf(folder: Path, ports: tuple[int, int] = (500, 4500)) -> str:
    return f"""charon {{
  port = {ports[0]}
  port_nat_t = {ports[1]}
  load_modular = no
  load = {PLUGINS}
  install_routes = no
  plugins {{
    vici {{
      socket = unix://{folder}/charon.vici
    }}
  }}
  filelog {{
    charon {{
      path = {folder}/charon.log
      default = 1
      ike = 2
      time_format = %b %e %T
      flush_line = yes
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
swanctl {{
  load = pem pkcs1 pkcs8 x509 openssl random
}}
"""


@dataclass(frozen=True, kw_only=True)
class Connection:
    """What swanctl.conf says of the one connection (named as ikesim's gateway)."""

    name: str
    child: str
    local_id: str
    remote_id: str
    certificate: str  # a file name under x509/
    proposals: str
    esp_proposals: str
    esp_lifetime: int
    aggressive: bool = False
    encap: bool = False  # fake NAT-D payloads: both sides see a NAT, IKE floats to 4500

    def text(self, local: str, remote: str) -> str:
        return f"""connections {{
  {self.name} {{
    version = 1
    aggressive = {"yes" if self.aggressive else "no"}
    encap = {"yes" if self.encap else "no"}
    local_addrs = {local}
    remote_addrs = {remote}
    proposals = {self.proposals}
    # lifetime = rekey_time + over_time: 28800 s, as Junos proposes by default
    rekey_time = 26000s
    over_time = 2800s
    local {{
      auth = pubkey
      certs = {self.certificate}
      id = {self.local_id}
    }}
    remote {{
      auth = pubkey
      id = {self.remote_id}
    }}
    children {{
      {self.child} {{
        esp_proposals = {self.esp_proposals}
        life_time = {self.esp_lifetime}s
        rekey_time = {self.esp_lifetime * 9 // 10}s
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
      }}
    }}
  }}
}}
"""


class Charon:
    """A charon of its own in the lab's charon namespace, configured in `folder` from the
    swanctl folder `ikesim pki export` wrote for the device strongSwan plays."""

    def __init__(self, lab: Lab, folder: Path, exported: Path, connection: Connection, *,
                 cas: tuple[str, ...] | None = None,
                 ports: tuple[int, int] = (500, 4500)) -> None:
        """`cas`: the CA certificates of the export charon holds (x509ca/<name>.pem), all
        when None; it sends a CR payload for each, and its own chain's as CERT payloads.
        `ports`: its IKE and NAT-T ports."""
        self.folder = folder
        self.connection = connection
        folder.mkdir(parents=True)
        for kind in ("x509ca", "x509crl", "x509", "private"):
            if (exported / kind).is_dir():
                shutil.copytree(exported / kind, folder / kind)
        if cas is not None:
            for held in (folder / "x509ca").iterdir():
                if held.stem not in cas:
                    held.unlink()
        (folder / "strongswan.conf").write_text(strongswan_conf(folder, ports))
        (folder / "swanctl.conf").write_text(connection.text(lab.charon.address,
                                                              lab.ikesim.address))
        self.log_path = folder / "charon.log"
        self._env = {**os.environ, "STRONGSWAN_CONF": str(folder / "strongswan.conf")}
        self._side = lab.charon
        # A mount namespace with its own /run: charon's pid file there cannot meet another
        # charon's (a system one, or an earlier test's).
        self.process = subprocess.Popen(
            self._side.argv("unshare", "-m", "sh", "-c",
                            f"mount -t tmpfs ikesim-charon /run && exec {CHARON}"),
            env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        give_up = time.monotonic() + DEADLINE
        while not re.search(r"spawning \d+ worker threads", self.log()):
            assert self.process.poll() is None, f"charon ended at start:\n{self.log()}"
            assert time.monotonic() < give_up, f"charon never started:\n{self.log()}"
            time.sleep(0.05)
        self.swanctl("--load-all", "--file", str(folder / "swanctl.conf"))

    def swanctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(["swanctl", *args, "--uri", f"unix://{self.folder}/charon.vici"],
                              env=self._env, capture_output=True, text=True, timeout=DEADLINE)
        assert not check or done.returncode == 0, (
            f"swanctl {' '.join(args)}: {done.returncode}\n{done.stdout}{done.stderr}\n"
            f"{self.log()}")
        return done

    def initiate(self) -> subprocess.CompletedProcess:
        """`swanctl --initiate` of the child: its outcome is judged from the logs."""
        return self.swanctl("--initiate", "--ike", self.connection.name, "--child",
                            self.connection.child, "--timeout", "20", check=False)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else "(no charon log)"

    def wait_for(self, pattern: str) -> str:
        """Wait (bounded) until charon's log has a line matching `pattern`; returns it."""
        compiled = re.compile(pattern)
        give_up = time.monotonic() + DEADLINE
        while time.monotonic() < give_up:
            found = compiled.search(self.log())
            if found:
                return found.group(0)
            time.sleep(0.05)
        raise AssertionError(f"charon never logged {pattern!r}:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class IkesimPeer(Peer):
    """`python -m sim peer TOPOLOGY DEVICE` in the lab's ikesim namespace, on port 500 of its
    topology address, its gateway pointed at charon's (the loopback peer's waits, reused)."""

    def __init__(self, lab: Lab, cwd: Path, topology: Path, device: str, gateway: str, *,
                 out: str, initiate: bool, start: str, once: bool = True,
                 charon_ports: tuple[int, int] = (500, 4500)) -> None:
        argv = lab.ikesim.argv(
            sys.executable, "-m", "sim", "peer", str(topology), device,
            "--listen", f"{lab.ikesim.address}:500",
            "--gateway-address", f"{gateway}={lab.charon.address}:{charon_ports[0]}:"
                                 f"{charon_ports[1]}",
            "--out", out, "--start", start, *(("--once",) if once else ()),
            *(("--initiate", gateway) if initiate else ()))
        self.run = cwd / out
        self.device = device
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": str(root)}
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.err = ""

    def kmd(self) -> str:
        return (self.run / "logs" / self.device / "kmd").read_text()


def ikesim(cwd: Path, *args: str) -> None:
    """Run an ikesim command in the host namespace (export, a simulation)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=DEADLINE * 3, env={**os.environ,
                                                                "PYTHONPATH": str(root)})
    assert done.returncode == 0, f"ikesim {' '.join(args)}: {done.stdout}{done.stderr}"


def untimed(text: str) -> list[str]:
    """A kmd log's lines without timestamps."""
    return _TIME.sub("", text).splitlines()
