"""The `events:` and `troubleshoot:` sections. Each event is checked against what it
names before anything runs, so an event cannot fail when its time comes.

    events:
      - {at: 10s, initiate: {device: Host-A, gateway: gw}}
      - {at: 60s, revoke: {ca: Root-CA, certificate: Sales-CA}}   # a compromised CA, too
      - {at: 120s, device-down: {device: Host-B}}                 # and device-up: a reboot
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cryptography import x509

from pki.files import shown
from sim.topology.enroll_events import ENROLL_ARGS, read_enroll, scep_endpoints
from sim.topology.manual_enroll import MANUAL_ARGS, check_order, read_manual
from sim.topology.reader import Reader, offset, run_time, text
from sim.topology.specs import ServerSpec
from sim.topology.traffic import TRAFFIC_ARGS, check_traffic_total, read_traffic
from sim.topology.values import (
    EVENT_ACTIONS,
    CaEntry,
    DeviceEntry,
    EventEntry,
    LookFor,
    Troubleshoot,
)
from sim.topology.yaml_lines import Located

_EVENT_ARGS = {
    "initiate": {"device", "gateway"},
    "revoke": {"ca", "certificate", "reason"},
    "server-down": {"server"},
    "server-up": {"server"},
    "publish-crl": {"ca"},
    "clock": {"device", "offset"},
    "verify-local": {"device", "certificate-id"},
    "device-down": {"device"},  # sim.world.power
    "device-up": {"device"},
    **TRAFFIC_ARGS,  # checked by sim.topology.traffic
    "restart": {"device"},  # kmd forgets its SAs (a reboot): sim.world.kmd.Kmd.restart
    **MANUAL_ARGS,  # generate-request, issue, load-local: sim.topology.manual_enroll
    **ENROLL_ARGS,  # enroll-ca, enroll-local: checked by sim.topology.enroll_events
}
assert set(_EVENT_ARGS) == set(EVENT_ACTIONS)
_REASONS = {flag.value for flag in x509.ReasonFlags}
_REFERENCES = ("device", "ca", "server")


def read_events(r: Reader, events: list, *, cas: Mapping[str, CaEntry],
                servers: Mapping[str, ServerSpec], devices: Mapping[str, DeviceEntry],
                cross: tuple[tuple[str, str], ...], fallback: Located) -> tuple[EventEntry, ...]:
    """`events` as sim.topology.expand left them (wildcards made into one event each)."""
    read = []
    holders = {e.certificate_id: d.name for d in devices.values() for e in d.enroll}
    answered = scep_endpoints(cas)
    for item in events:
        if not isinstance(item, Located) or "at" not in item:
            raise r.fail(item if isinstance(item, Located) else fallback, "events",
                         "events: each entry needs 'at' and one action")
        actions = [k for k in item if k != "at"]
        if len(actions) != 1 or actions[0] not in _EVENT_ARGS:
            raise r.fail(item, None, f"events: expected one action of "
                                     f"{', '.join(_EVENT_ARGS)}; got "
                                     f"{', '.join(shown(a) for a in actions) or 'none'}")
        action = actions[0]
        value = item[action]
        if isinstance(value, dict):
            args = value
        elif action in ("server-down", "server-up") and isinstance(value, str):
            args = {"server": value}
        else:
            raise r.fail(item, action, f"events.{action}: expected a mapping of "
                                       f"{', '.join(sorted(_EVENT_ARGS[action]))}")
        if action in TRAFFIC_ARGS:
            read.append(read_traffic(r, item, action, args, devices))
            continue
        if action in MANUAL_ARGS:
            read.append(read_manual(r, item, action, args, devices, cas))
            continue
        if action in ENROLL_ARGS:
            read.append(read_enroll(r, item, action, args, devices, answered, holders, cas))
            continue
        for key in args:
            if key not in _EVENT_ARGS[action]:
                raise r.fail(item, action, f"events.{action}.{shown(key)}: unknown argument")
        for key in sorted(_EVENT_ARGS[action] - {"reason"}):
            if key not in args:
                raise r.fail(item, action, f"events.{action}: {key} is missing")
            if not isinstance(args[key], str) and not (action == "clock" and key == "offset"):
                raise r.fail(item, action, f"events.{action}.{key}: expected a name, not "
                                           f"{shown(args[key])}")
        refs = {"device": devices, "ca": cas, "server": servers}
        for key in _REFERENCES:
            if key in args and args[key] not in refs[key]:
                raise r.fail(item, action, f"events.{action}.{key}: no {key} named "
                                           f"{shown(args[key])}")
        # A certificate-id an earlier enroll-local gives the device can be verified too.
        online = action == "verify-local" and holders.get(args["certificate-id"]) == \
            args["device"]
        problem = None if online else _event_problem(action, args, cas, devices, cross)
        if problem:
            raise r.fail(item, action, f"events.{action}: {problem}")
        at = r.convert(item, "at", "events", run_time, required=True)
        read.append(EventEntry(at=at, action=action, args=MappingProxyType(dict(args)),
                               line=item.line))
    check_traffic_total(r, read)
    return check_order(r.source, tuple(sorted(read, key=lambda e: e.at)), devices=devices,
                       cas=cas)


def _event_problem(action: str, args: Mapping[str, object], cas: Mapping[str, CaEntry],
                   devices: Mapping[str, DeviceEntry],
                   cross: tuple[tuple[str, str], ...]) -> str | None:
    """What would make the event fail when it happens: checked before anything runs."""
    device = devices.get(args.get("device"))  # type: ignore[arg-type]
    if action == "initiate" and device:
        gateway = device.config.ike.gateways.get(args["gateway"])  # type: ignore[arg-type]
        if gateway is None:
            return f"{device.name} has no IKE gateway {shown(args['gateway'])}"
        if not gateway.addresses:
            return (f"{device.name}'s gateway {gateway.name} has a dynamic peer: it can only "
                    "respond")
    if action == "verify-local" and device and args["certificate-id"] not in {
            e.certificate_id for e in device.enroll}:
        return f"{device.name} has no certificate-id {shown(args['certificate-id'])}"
    if action == "revoke":
        return _revoke_problem(args, cas, devices, cross)
    if action == "clock":
        try:
            offset(args["offset"])
        except ValueError as exc:
            return f"offset: {exc}"
    return None


def _revoke_problem(args: Mapping[str, object], cas: Mapping[str, CaEntry],
                    devices: Mapping[str, DeviceEntry],
                    cross: tuple[tuple[str, str], ...]) -> str | None:
    """Any certificate the hierarchy issued may be revoked, a CA's included (a compromised
    intermediate CA), by the CA that issued it."""
    certificate, ca = args["certificate"], args["ca"]
    issuers = {e.certificate_id: e.ca for d in devices.values() for e in d.enroll}
    for name, entry in cas.items():
        if entry.issuer is not None:
            issuers[name] = entry.issuer
    if certificate not in issuers and certificate not in cas:
        return f"no certificate-id or CA named {shown(certificate)}"
    if certificate in cas and (ca, certificate) in cross:
        pass  # the cross certificate `ca` issued to `certificate`
    elif certificate not in issuers:
        return f"{certificate} is a root: no CA issued its certificate"
    elif issuers[certificate] != ca:
        return f"{certificate} was issued by {issuers[certificate]}, not {ca}"
    reason = args.get("reason")
    if reason is not None and (not isinstance(reason, str) or reason not in _REASONS):
        return f"reason {shown(args['reason'])}: one of {', '.join(sorted(_REASONS))}"
    return None


def read_troubleshoot(r: Reader, root: Located, devices: Mapping[str, DeviceEntry]
                      ) -> Troubleshoot | None:
    if root.get("troubleshoot") is None:
        return None
    section = r.mapping(root, "troubleshoot", "")
    r.only(section, {"look-for", "resolution"}, "troubleshoot")
    looks = []
    for item in r.items(section, "look-for", "troubleshoot"):
        if not isinstance(item, Located):
            raise r.fail(section, "look-for", "troubleshoot.look-for: entries are mappings")
        r.only(item, {"device", "log", "contains"}, "troubleshoot.look-for[]")
        device = r.reference(item, "device", "troubleshoot.look-for[]", devices, "device")
        if item.get("log") not in ("kmd", "pkid"):
            raise r.fail(item, "log", "troubleshoot.look-for[].log: kmd or pkid")
        looks.append(LookFor(device=device, log=item["log"],
                             contains=r.convert(item, "contains", "troubleshoot.look-for[]",
                                                text, default="")))
    return Troubleshoot(look_for=tuple(looks),
                        resolution=r.convert(section, "resolution", "troubleshoot", text,
                                             default="").strip())
