"""The run folder's `ocsp/`: every OCSP request pkid sent and every response it got, as DER,
to inspect with other tools (`openssl ocsp -reqin F -req_text`, `openssl ocsp -respin F
-resp_text`), and each delegated responder's certificate:

    ocsp/0001-Host-A-request.ocsp, ocsp/0001-Host-A-response.ocsp, ...
    ocsp/<CA>-responder.pem

results.json lists them too (`ocsp_requests`: device, URL, times, answered or why not).

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
    from sim.report.finished import FinishedRun
    from sim.world.pkid import OcspExchange

OCSP_FOLDER = "ocsp"


def _in_order(scenario: FinishedRun) -> list[OcspExchange]:
    rows = sorted(((exchange.started, name, index, exchange)
                   for name, device in scenario.devices.items()
                   for index, exchange in enumerate(device.pkid.ocsp_exchanges)),
                  key=lambda row: row[:3])
    return [row[3] for row in rows]


def ocsp_json(scenario: FinishedRun) -> list[dict]:
    """results.json's `ocsp_requests`, numbered as the files are."""
    return [{"number": number, "device": e.device, "url": e.url,
             "started_s": round(e.started, 6), "finished_s": round(e.finished, 6),
             "answered": e.response is not None, "reason": e.failure}
            for number, e in enumerate(_in_order(scenario), start=1)]


def write_ocsp_files(scenario: FinishedRun, root: Path) -> None:
    exchanges = _in_order(scenario)
    if not exchanges and not scenario.ocsp_responders:
        return
    folder = inside(root, OCSP_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    for number, exchange in enumerate(exchanges, start=1):
        check_name("device", exchange.device)
        stem = f"{number:04d}-{exchange.device}"
        write_file(inside(folder, f"{stem}-request.ocsp"), exchange.request)
        if exchange.response is not None:
            write_file(inside(folder, f"{stem}-response.ocsp"), exchange.response)
    for ca, responder in scenario.ocsp_responders.items():
        if responder.delegated:
            check_name("CA", ca)
            write_file(inside(folder, f"{ca}-responder.pem"),
                       responder.signer.public_bytes(Encoding.PEM))
