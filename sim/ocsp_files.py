"""The run folder's `ocsp/`: every OCSP request pkid sent and every response it got, as DER,
to inspect with other tools (`openssl ocsp -reqin F -req_text`, `openssl ocsp -respin F
-resp_text`), and each delegated responder's certificate:

    ocsp/0001-Host-A-request.ocsp, ocsp/0001-Host-A-response.ocsp, ...
    ocsp/<CA>-responder.pem

Exchanges are numbered in the order they started (device name, then its own order, breaking
ties), so the same run gives the same names. A request that got no answer has no response
file. Paths are checked with pki.files like every other file of the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import Encoding

from pki.files import check_name, inside, write_file

if TYPE_CHECKING:
    from sim.scenario import Scenario

OCSP_FOLDER = "ocsp"


def write_ocsp_files(scenario: Scenario, root: Path) -> None:
    exchanges = sorted(
        ((exchange.started, name, index, exchange)
         for name, device in scenario.devices.items()
         for index, exchange in enumerate(device.pkid.ocsp_exchanges)),
        key=lambda row: row[:3])
    if not exchanges and not scenario.ocsp_responders:
        return
    folder = inside(root, OCSP_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    for number, (_, name, _, exchange) in enumerate(exchanges, start=1):
        check_name("device", name)
        stem = f"{number:04d}-{name}"
        write_file(inside(folder, f"{stem}-request.ocsp"), exchange.request)
        if exchange.response is not None:
            write_file(inside(folder, f"{stem}-response.ocsp"), exchange.response)
    for ca, responder in scenario.ocsp_responders.items():
        if responder.delegated:
            check_name("CA", ca)
            write_file(inside(folder, f"{ca}-responder.pem"),
                       responder.signer.public_bytes(Encoding.PEM))
