"""Manual enrollment in a running scenario: the topology's `generate-request`, `issue` and
`load-local` events (checked by sim.topology.manual_enroll before the run).

Files live in the run folder, in the device's own folder `devices/<device>/files/`: the request
the device writes, the certificate the CA's administrator puts beside it, what `load-local`
reads. Each step is logged where it happens: the device's steps in its pkid log (always, as
messages, not traces), the CA's in `logs/cas/<CA>` (no device is named `cas`).

The CA's step is out of band, as the guide's is (a request pasted into the CA's web page): the
CA reads the file, so a request that is missing, not a request, or whose signature does not
verify is refused there, and the device's later `load-local` finds no certificate.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import Encoding

from pki.csr import RequestParams, build_request, fingerprint_lines
from pki.files import FileRefused, check_name, inside, open_append, read_regular, write_file
from pki.keycache import cached_key_pair
from pki.keys import KeySpec
from pki.loaders import FILE_MAX_BYTES, LoadError, load_certificate, load_csr
from pki.names import render_oneline
from pki.store import StoreError
from sim.junos.logs import syslog_escape, syslog_time
from sim.topology.limits import CA_FOLDER
from sim.topology.manual_enroll import REQUEST, certificate_file

if TYPE_CHECKING:
    from sim.world.device import Device
    from sim.world.run import Run

FILES = "files"


def device_file(out: Path, device: str, name: str) -> Path:
    """`devices/<device>/files/<name>` in the run folder, its folder made."""
    path = inside(out, "devices", check_name("device", device), FILES,
                  check_name("filename", name))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def generate_request(scenario: Run, args: Mapping[str, object]) -> None:
    """`request security pki generate-certificate-request ... filename F`, the key pair made
    first when the certificate-id has none (`generate-key-pair`)."""
    device = scenario.devices[str(args["device"])]
    cid, filename = str(args["certificate-id"]), str(args["filename"])
    store = device.pki.store
    log = device.pkid_log.message
    key = store.key_pairs.get(cid)
    if key is None:
        spec = args["key"]
        if not isinstance(spec, KeySpec):
            raise TypeError(f"generate-request key: a KeySpec, not {type(spec).__name__}")
        # Keys belong to the topology (as _enrolled_store's do): another --seed reuses them.
        key = cached_key_pair(spec, seed=f"keys/{scenario.topology.name}/{device.name}/{cid}")
        store = store.add_key_pair(cid, key)
        log(f"Generated key pair {cid}, key size {spec.size} bits")
    csr = build_request(key, RequestParams(
        certificate_id=cid, subject=str(args["subject"]),
        domain_name=_optional(args, "domain-name"), ip_address=_optional(args, "ip-address"),
        email=_optional(args, "email"), device_serial=device.serial))
    try:
        write_file(device_file(scenario.out, device.name, filename), csr.public_bytes(Encoding.PEM))
    except (FileRefused, OSError) as exc:
        device.pki.store = store  # the key pair stays; the request was not saved
        log(f"Certificate request {cid} not written to {filename}: {_problem(exc)}")
        return
    device.pki.store = store.add_request(cid, csr)
    sha1 = fingerprint_lines(csr.public_bytes(Encoding.DER), md5=False)[1]
    log(f"Generated certificate request {cid} ({render_oneline(csr.subject)}), written to "
        f"{filename}; fingerprint {sha1}")


def issue(scenario: Run, args: Mapping[str, object]) -> None:
    """The CA's out-of-band step: it reads the device's request file, checks the request's
    signature, issues, and writes `<certificate-id>.cert` beside the request."""
    ca, device = str(args["ca"]), str(args["device"])
    cid, request = str(args["certificate-id"]), str(args[REQUEST])
    say = _ca_log(scenario, ca)
    source = f"{request} from {device}"
    try:
        data = read_regular(device_file(scenario.out, device, request), limit=FILE_MAX_BYTES)
        csr = load_csr(data, source=request)
        validity = args.get("validity")
        cert = scenario.hierarchy.issue_from_request(
            ca, cid, csr, not_before=scenario.world.now(),
            validity=dt.timedelta(days=validity) if isinstance(validity, int) else None)
    except (FileRefused, OSError, LoadError, ValueError) as exc:
        say(f"Certificate request {source} refused: {_problem(exc)}")
        return
    name = certificate_file(cid)
    try:
        write_file(device_file(scenario.out, device, name), cert.public_bytes(Encoding.PEM))
    except (FileRefused, OSError) as exc:
        say(f"Certificate for {source} issued but not written to {name}: {_problem(exc)}")
        return
    say(f"Issued certificate serial {cert.serial_number:X} to {render_oneline(cert.subject)} "
        f"for certificate request {source}, valid {_when(cert.not_valid_before_utc)} to "
        f"{_when(cert.not_valid_after_utc)}; written to {name}")


def load_local(scenario: Run, args: Mapping[str, object]) -> None:
    """`request security pki local-certificate load certificate-id ID filename F`: the
    certificate must carry the public key of the certificate-id's key pair."""
    device: Device = scenario.devices[str(args["device"])]
    cid, filename = str(args["certificate-id"]), str(args["filename"])
    try:
        data = read_regular(device_file(scenario.out, device.name, filename),
                            limit=FILE_MAX_BYTES)
        cert = load_certificate(data, source=filename)
        device.pki.store = device.pki.store.add_local_certificate(cid, cert, source=filename)
    except (FileRefused, OSError, LoadError, StoreError) as exc:
        device.pkid_log.message(f"Local certificate {cid} not loaded: {_problem(exc)}")
        return
    device.pkid_log.message(f"Local certificate {cid} loaded successfully from {filename} "
                            f"(serial {cert.serial_number:X}, issued by "
                            f"{render_oneline(cert.issuer)})")


def _optional(args: Mapping[str, object], key: str) -> str | None:
    value = args.get(key)
    return None if value is None else str(value)


def _problem(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{Path(exc.filename or '').name}: no such file"
    if isinstance(exc, OSError):
        return f"{Path(exc.filename or '').name}: {(exc.strerror or type(exc).__name__).lower()}"
    if isinstance(exc, FileRefused):  # names the whole path: the run folder's name is enough
        return f"{Path(exc.source).name}: {exc.problem}"
    return str(exc)


def _when(at: dt.datetime) -> str:
    return f"{at:%m-%d-%Y %H:%M}"


def _ca_log(scenario: Run, ca: str):
    """A writer of lines to `logs/cas/<CA>` (a run writes into a new folder: nothing to clear)."""
    path = inside(scenario.out, "logs", CA_FOLDER, check_name("CA", ca))
    path.parent.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> None:
        line = f"{syslog_time(scenario.world.now())} {syslog_escape(text)}\n".encode()
        with os.fdopen(open_append(path), "ab") as file:  # never through a planted symlink
            file.write(line)

    return say


# The scenario's event actions (sim.scenario.Scenario._ACTIONS).
MANUAL_ACTIONS = {
    "generate-request": generate_request,
    "issue": issue,
    "load-local": load_local,
}
