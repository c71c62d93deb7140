"""`ikesim pki export TOPOLOGY [--out DIR]`: the topology's PKI as files for the other side of
a live peer (strongSwan, another vendor's gateway): the certificates and keys a simulation of
the topology builds (same keys, serial numbers and dates), laid out as one strongSwan swanctl
folder per device.

    DIR/index.txt                         what each file is
    DIR/<device>/x509ca/<CA>.pem          every CA certificate of the topology
    DIR/<device>/x509crl/<CA>.pem         each CA's CRL as of the topology's start
    DIR/<device>/x509/<certificate-id>.pem     the device's enrolled certificates
    DIR/<device>/private/<certificate-id>.pem  their private keys (PKCS#8, mode 0600)

DIR is written whole beside its place and renamed into it, so it is complete or absent.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from pki.files import check_name, inside, write_file
from pki.selfsigned import SYSTEM_GENERATED_ID
from sim.cli.errors import UsageError
from sim.cli.run import topology_path
from sim.live.start import started
from sim.scenario import Scenario
from sim.topology import Topology, load_topology


def register(actions: argparse._SubParsersAction) -> None:
    export = actions.add_parser("export", help="write a topology's CA certificates, CRLs and "
                                               "device certificates and keys as files")
    export.add_argument("topology", metavar="TOPOLOGY",
                        help="a topology file (YAML), or a topology's name from `ikesim list`")
    export.add_argument("--out", metavar="DIR",
                        help="a folder that does not exist yet, or is empty (default: "
                             "runs/<name>-pki/)")
    export.add_argument("--start", metavar="TIME",
                        help="move the topology's start (its certificates' and CRLs' dates) "
                             "to TIME (ISO 8601, or now); give `ikesim peer` the same TIME")
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    topology = started(load_topology(topology_path(args.topology)), args.start)
    out = Path(args.out) if args.out is not None else Path("runs") / f"{topology.name}-pki"
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise UsageError(f"--out {out}: exists and is not an empty folder; export writes a "
                         "new one")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    try:
        with tempfile.TemporaryDirectory() as scratch:
            scenario = Scenario.build(topology, out=Path(scratch))
            index = export_pki(scenario, staging)
        write_file(inside(staging, "index.txt"), index.encode())
        os.chmod(staging, 0o755)
        os.replace(staging, out)  # an empty folder at `out` is replaced too
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"PKI of {topology.name} in {out}/ ({out / 'index.txt'} lists the files)")
    return 0


def export_pki(scenario: Scenario, root: Path) -> str:
    """Write the files under `root`; returns index.txt's text."""
    topology: Topology = scenario.topology
    hierarchy = scenario.hierarchy
    lines = [f"PKI of topology {topology.name} (seed {scenario.world.seed}), CRLs as of "
             f"{topology.start.isoformat()}: one strongSwan swanctl folder per device.", ""]
    cas = {name: hierarchy.certificate(name) for name in topology.cas}
    crls = {name: hierarchy.crl(name, at=topology.start)
            for name, entry in topology.cas.items() if entry.crl_urls}
    for device_name, device in scenario.devices.items():
        folder = inside(root, check_name("device", device_name))
        for name, cert in cas.items():
            _write(folder, "x509ca", name, cert.public_bytes(Encoding.PEM))
            lines.append(f"{device_name}/x509ca/{name}.pem  CA certificate of {name}: "
                         f"{cert.subject.rfc4514_string()}")
        for name, crl in crls.items():
            _write(folder, "x509crl", name, crl.public_bytes(Encoding.PEM))
            lines.append(f"{device_name}/x509crl/{name}.pem  CRL of {name}, next update "
                         f"{crl.next_update_utc.isoformat()}, {len(list(crl))} revoked")
        store = device.store
        for certificate_id, cert in store.local_certificates.items():
            if certificate_id == SYSTEM_GENERATED_ID:
                continue  # the device's own self-signed certificate: nobody else's business
            _write(folder, "x509", certificate_id, cert.public_bytes(Encoding.PEM))
            key = store.key_pair(certificate_id).private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            _write(folder, "private", certificate_id, key, mode=0o600)
            lines.append(f"{device_name}/x509/{certificate_id}.pem  local certificate "
                         f"{certificate_id}: {_described(cert)}")
            lines.append(f"{device_name}/private/{certificate_id}.pem  its private key "
                         "(PKCS#8 PEM, unencrypted, mode 0600)")
    return "\n".join(lines) + "\n"


def _write(folder: Path, kind: str, name: str, data: bytes, *, mode: int = 0o644) -> None:
    place = inside(folder, kind)
    place.mkdir(parents=True, exist_ok=True)
    write_file(inside(place, f"{check_name(kind, name)}.pem"), data, mode=mode)


def _described(cert: x509.Certificate) -> str:
    return (f"{cert.subject.rfc4514_string()}, issued by {cert.issuer.rfc4514_string()}, "
            f"valid {cert.not_valid_before_utc.isoformat()} to "
            f"{cert.not_valid_after_utc.isoformat()}")
