"""The files of a finished run, written under its folder and nowhere else:

    results.json          one record per negotiation (Scenario.results_json); past 5,000,
                          results.parquet and crl-downloads.parquet (sim.report.results_table)
    pki/cas/<CA>.pem, .crl   each CA's certificate and the last CRL it published
    pki/cas/crls/, crls.json every CRL each CA published, in order (sim.report.crl_history)
    pki/cas/scep/         the SCEP CAs' keys and policies, for `ikesim cli` (sim.report.scep_files)
    pki/<device>/         the device's certificate store        (DeviceState.save)
    devices/<device>/     its configuration and state.json      (DeviceState.save)
    not-kept.json         the group members that got none of these (sim.topology.expand)

(logs/<device>/ are written while the run goes, plots/ by sim.report.plots.) Every path is checked
with pki.files.inside, so that no name, however it got past the topology's checks, and no
symlink planted in the folder, puts a file outside it; files are replaced atomically and never
written through a symlink.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki.files import check_name, inside, write_file
from sim.junos.state_file import write_json
from sim.report.results_table import write_results
from sim.report.run_folder import NOT_KEPT
from sim.report.scep_files import write_scep_cas
from sim.topology.limits import CA_FOLDER

if TYPE_CHECKING:
    from sim.report.finished import FinishedRun


def write_run_files(scenario: FinishedRun, root: Path) -> dict:
    """Everything but the logs and plots; returns the results.json record, so that a caller
    that draws the plots too (sim.cli.run) builds it once: for a large run it is seconds of
    work."""
    pem = Encoding.PEM
    cas = inside(root, "pki", CA_FOLDER)
    cas.mkdir(parents=True, exist_ok=True)
    for ca in scenario.hierarchy.cas():
        check_name("CA", ca)
        write_file(inside(cas, f"{ca}.pem"),
                   scenario.hierarchy.certificate(ca).public_bytes(pem))
        if scenario.topology.cas[ca].crl_urls:
            # What the CA's servers held at the end, not a CRL signed afterwards.
            der = scenario.crl_history.last(ca)
            crl = (x509.load_der_x509_crl(der) if der is not None
                   else scenario.hierarchy.crl(ca, at=scenario.world.now()))
            write_file(inside(cas, f"{ca}.crl"), crl.public_bytes(pem))
    scenario.crl_history.write(cas, start=scenario.world.start, end_s=scenario.world.env.now)
    write_scep_cas(scenario, root)
    unkept = []
    for device in scenario.devices.values():
        if device.keep:
            device.snapshot().save(root)
        else:
            unkept.append(device.name)
    if unkept:
        # What `ikesim show` reads to tell a device the run did not keep from a wrong name.
        write_json(inside(root, NOT_KEPT), {"devices": unkept})
    record = scenario.results_json()
    write_results(root, record)
    return record
