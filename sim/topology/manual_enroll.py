"""Manual enrollment as topology events (guide, Chapter 11: "Manually Generating a CSR for the
Local Certificate and Sending it to the CA Server", "Loading CA and Local Certificates
Manually"):

    events:
      - {at: 1m, generate-request: {device: Host-B, certificate-id: Host-B, subject: "CN=Host-B",
                                    domain-name: host-b.example.net, filename: Host-B.req}}
      - {at: 1d, issue: {ca: Sales-CA, device: Host-B, certificate-id: Host-B, validity: 365d}}
      - {at: 1d1h, load-local: {device: Host-B, certificate-id: Host-B, filename: Host-B.cert}}

`generate-request` makes the device's key pair when it has none (`key`, default rsa-1024) and
writes the PKCS #10 request to `filename` in the device's folder; `issue` is the CA's
out-of-band step: it reads the request the device's latest `generate-request` for that
certificate-id wrote and writes the certificate beside it as `<certificate-id>.cert`;
`load-local` loads a file of the device's folder as `request security pki local-certificate
load` does. Everything an event needs is checked here, before anything runs: an `issue` needs
an earlier request, a `load-local` a file an earlier event writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from types import MappingProxyType

from pki.csr import RequestParams
from pki.files import shown
from pki.keys import KeySpec
from sim.topology.cas import validity_days
from sim.topology.reader import Reader, ipv4, join, key_spec, run_time, subject
from sim.topology.values import CaEntry, DeviceEntry, EventEntry, TopologyError
from sim.topology.yaml_lines import Located

MANUAL_ARGS = {
    "generate-request": {"device", "certificate-id", "subject", "domain-name", "email",
                         "ip-address", "filename", "key"},
    "issue": {"ca", "device", "certificate-id", "validity"},
    "load-local": {"device", "certificate-id", "filename"},
}
_REQUIRED = {
    "generate-request": ("device", "certificate-id", "subject", "filename"),
    "issue": ("ca", "device", "certificate-id"),
    "load-local": ("device", "certificate-id", "filename"),
}
# Added to an `issue` event when the topology is read: the request file it answers.
REQUEST = "request"


def certificate_file(certificate_id: str) -> str:
    """The name of the file `issue` writes beside the request."""
    return f"{certificate_id}.cert"


def read_manual(r: Reader, item: Located, action: str, args: Mapping[str, object],
                devices: Mapping[str, DeviceEntry], cas: Mapping[str, CaEntry]) -> EventEntry:
    """One manual-enrollment event, each value checked on its own (order: check_order)."""
    path = f"events.{action}"
    where = args if isinstance(args, Located) else item
    r.arguments(args, where, path, MANUAL_ARGS[action], _REQUIRED[action])
    values: dict[str, object] = {
        "device": r.reference(where, "device", path, devices, "device"),
        "certificate-id": r.named("certificate-id", where, "certificate-id", path)}
    if action == "issue":
        values["ca"] = r.reference(where, "ca", path, cas, "CA")
        values["validity"] = r.convert(where, "validity", path, validity_days)
    else:
        # A file in the device's folder of the run: a plain name, never a path.
        values["filename"] = r.named("filename", where, "filename", path)
    if action == "generate-request":
        values.update(_request(r, where, path, values))
    at = r.convert(item, "at", "events", run_time, required=True)
    return EventEntry(at=at, action=action, args=MappingProxyType(values), line=item.line)


def _request(r: Reader, where: Located, path: str, values: Mapping[str, object]
             ) -> dict[str, object]:
    for key in ("domain-name", "email"):
        value = where.get(key)
        if value is not None and not (isinstance(value, str) and value.isprintable()):
            raise r.fail(where, key, f"{join(path, key)}: expected printable text")
    request = {
        "subject": r.convert(where, "subject", path, subject, required=True),
        "domain-name": where.get("domain-name"), "email": where.get("email"),
        "ip-address": r.convert(where, "ip-address", path, ipv4),
        "key": r.convert(where, "key", path, key_spec, default=KeySpec()),
    }
    try:
        # Checked as the request command would check it, subjectAltName included.
        RequestParams(certificate_id=str(values["certificate-id"]),
                      subject=str(request["subject"]),
                      domain_name=request["domain-name"],  # type: ignore[arg-type]
                      ip_address=request["ip-address"],  # type: ignore[arg-type]
                      email=request["email"],  # type: ignore[arg-type]
                      device_serial="0").subject_alternative_name()
    except (ValueError, TypeError) as exc:
        raise r.fail(where, None, f"{path}: {exc}") from None
    return request


def _refusal(source: str, event: EventEntry, problem: str) -> TopologyError:
    return TopologyError(source, event.line, f"events.{event.action}: {problem}")


def check_order(source: str, events: tuple[EventEntry, ...], *,
                devices: Mapping[str, DeviceEntry], cas: Mapping[str, CaEntry]
                ) -> tuple[EventEntry, ...]:
    """`events` in time order, each `issue` told which request file it answers; an `issue`
    without an earlier request, a certificate-id the hierarchy already holds, or a
    `load-local` of a file no earlier event writes is refused, naming the event's line."""
    taken = {e.certificate_id: d.name for d in devices.values() for e in d.enroll}
    requests: dict[tuple[str, str], str] = {}  # (device, certificate-id) -> request file
    written: set[tuple[str, str]] = set()  # (device, file name)
    out = []
    for event in events:
        if event.action not in MANUAL_ARGS:
            out.append(event)
            continue
        args = event.args
        device, cid = str(args["device"]), str(args["certificate-id"])
        fail = partial(_refusal, source, event)
        if event.action == "generate-request":
            requests[device, cid] = str(args["filename"])
            written.add((device, str(args["filename"])))
        elif event.action == "issue":
            if (device, cid) not in requests:
                raise fail(f"no earlier generate-request of certificate-id {cid} on {device}")
            if cid in cas or cid in taken:
                holder = "a CA" if cid in cas else taken[cid]
                raise fail(f"certificate-id {cid} is already issued (to {holder}); the "
                           "hierarchy names certificates by certificate-id")
            taken[cid] = device
            written.add((device, certificate_file(cid)))
            event = EventEntry(at=event.at, action=event.action, line=event.line,
                               args=MappingProxyType({**args, REQUEST: requests[device, cid]}))
        elif (device, str(args["filename"])) not in written:
            raise fail(f"no earlier event writes {shown(args['filename'])} on {device} "
                       "(a generate-request's filename, or <certificate-id>.cert from issue)")
        out.append(event)
    return tuple(out)
