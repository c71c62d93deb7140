"""`ikesim peer --fetch-crls`: a CRL whose host is no server of the topology comes over real
HTTP, here from a server the test runs on loopback with the CRL `ikesim pki export` wrote."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sim.cli.main import main
from tests.sim.live.peers import Peer, free_ports, traced_figure4, untimed


class _Crl(BaseHTTPRequestHandler):
    crl = b""
    asked: list[str] = []

    def do_GET(self) -> None:
        type(self).asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.crl)))
        self.end_headers()
        self.wfile.write(self.crl)

    def log_message(self, *args: object) -> None:
        pass


def test_a_crl_outside_the_topology_is_fetched_over_http(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Crl)
    url = f"http://127.0.0.1:{server.server_address[1]}/crl/Sales.crl"
    topology = traced_figure4(tmp_path, sales_crl_url=url)
    assert main(["pki", "export", str(topology), "--out", str(tmp_path / "pki")]) == 0
    _Crl.crl = (tmp_path / "pki" / "Host-A" / "x509crl" / "Sales-CA.pem").read_bytes()
    _Crl.asked = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port_a, port_b = free_ports(2)
    b = Peer(tmp_path, topology, "Host-B", port=port_b, gateway_port=port_a, out="b")
    a = None
    try:
        b.listening()
        a = Peer(tmp_path, topology, "Host-A", port=port_a, gateway_port=port_b, out="a",
                 initiate=True, extra=("--fetch-crls",))
        code_a, _, err_a = a.wait()
        code_b, _, err_b = b.wait()
    finally:
        server.shutdown()
        server.server_close()
        for peer in (a, b):
            if peer is not None:
                peer.kill()
    assert (code_a, code_b) == (0, 0), (err_a, err_b)
    assert _Crl.asked == ["/crl/Sales.crl"]
    assert (f"CRL for CA profile dynamic-001 loaded from {url}, 0 revoked, next refresh "
            "09-20-2012 01:40") in untimed(a.run / "logs" / "Host-A" / "pkid").splitlines()
