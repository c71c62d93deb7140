"""`ikesim peer`'s NAT-T port and a gateway's NAT-T port: refused in one line, before anything
listens or is written."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.badinput.conftest import assert_refused

FIGURE4 = str(Path(__file__).resolve().parents[2] / "topologies" / "figure4-multilevel.yaml")
GW = "ike_cert_gw_01"


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--natt-port", "0"], ("--natt-port '0'", "1..65535")),
    (["--natt-port", "４５００"], ("--natt-port", "must be a number")),
    (["--natt-port", "-1"], ("--natt-port '-1'", "1..65535")),
    (["--listen", "127.0.0.1:5000", "--natt-port", "5000"],
     ("--natt-port 5000: the --listen port already",)),
    (["--gateway-address", f"{GW}=127.0.0.1:5000:70000"],
     (f"--gateway-address {GW} '127.0.0.1:5000:70000'", "1..65535")),
    (["--gateway-address", f"{GW}=127.0.0.1:5000:"],
     (f"--gateway-address {GW} '127.0.0.1:5000:'", "1..65535")),
    (["--gateway-address", f"{GW}=127.0.0.1:5000:5000"],
     (f"--gateway-address {GW} '127.0.0.1:5000:5000'", "must differ from the IKE port")),
    (["--gateway-address", f"{GW}=127.0.0.1:4500"],
     (f"--gateway-address {GW} '127.0.0.1:4500'", "must differ from the IKE port")),
    (["--gateway-address", f"{GW}=127.0.0.1:1:2:3"],
     (f"--gateway-address {GW} '127.0.0.1:1:2:3'", "expected ADDR[:PORT[:NAT-T-PORT]]")),
    (["--gateway-address", f"{GW}=127.0.0.1::4501"], (f"--gateway-address {GW}",
                                                      "must be a number")),
])
def test_bad_nat_t_ports_are_one_line(ikesim, tmp_path: Path, argv, fragments) -> None:
    assert_refused(ikesim("peer", FIGURE4, "Host-A", *argv, "--out", "run"), *fragments)
    assert not any(tmp_path.iterdir())


def test_a_nat_t_port_in_use_is_one_line_and_frees_the_ike_port(ikesim, tmp_path: Path
                                                               ) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as free:
        taken.bind(("127.0.0.1", 0))
        free.bind(("127.0.0.1", 0))
        port, ike = taken.getsockname()[1], free.getsockname()[1]
        free.close()
        outcome = ikesim("peer", FIGURE4, "Host-B", "--listen", f"127.0.0.1:{ike}",
                         "--natt-port", str(port), "--out", "run")
    assert_refused(outcome, f"--natt-port 127.0.0.1:{port}: cannot listen there",
                   "Address already in use")
    assert not any(tmp_path.iterdir())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", ike))  # the IKE socket was closed, not leaked
