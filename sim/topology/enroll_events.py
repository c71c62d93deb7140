"""Online enrollment events: a device asks a CA over SCEP, as `request security pki
ca-certificate enroll` and `request security pki local-certificate enroll` do.

    events:
      - {at: 0s, enroll-ca: {device: Host-A, ca-profile: Root-CA}}       # answered yes
      - {at: 5s, enroll-local: {device: Host-A, certificate-id: Host-A, ca-profile: Dev-CA,
                                challenge-password: example, subject: "CN=Host-A,O=PKI",
                                domain-name: host-a.example.net, key-size: 1024}}

The CA profile must have an `enrollment url` that a CA's `scep:` entry answers. enroll-local
uses the certificate-id's key pair when the device has one (from `enroll:` or an earlier
enroll-local); otherwise the device generates an RSA key pair of `key-size` bits (default
1024, as generate-key-pair) first. SCEP enrolls RSA keys only (the guide), so a certificate-id
whose key is DSA or ECDSA is refused here, as is one another device or a CA already names
(certificates are named by certificate-id in the CA hierarchy). Checked at load like every
event: one line naming the event, exit 2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from pki.csr import RequestParams
from pki.files import shown
from pki.keys import KeySpec, KeyType
from pki.selfsigned import SYSTEM_GENERATED_ID
from sim.topology.reader import Reader, integer, ipv4, join, run_time, subject
from sim.topology.values import CaEntry, DeviceEntry, EventEntry
from sim.topology.yaml_lines import Located

ENROLL_ARGS = {
    "enroll-ca": {"device", "ca-profile"},
    "enroll-local": {"device", "certificate-id", "ca-profile", "challenge-password", "subject",
                     "domain-name", "email", "ip-address", "key-size"},
}
_REQUIRED = {"enroll-ca": ("device", "ca-profile"),
             "enroll-local": ("device", "certificate-id", "ca-profile", "challenge-password",
                              "subject")}
RSA_SIZES = (512, 1024, 2048, 4096)  # generate-key-pair's RSA sizes (pki.keys)
MAX_PASSWORD = 255  # characters; the guide's challenge passwords are 16


def endpoint(url: str) -> str:
    """An enrollment URL as SCEP requests reach it: scheme and host in lower case, no query
    (`?operation=...` is each request's own)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path}"


def read_enroll(r: Reader, item: Located, action: str, args: Mapping[str, object],
                devices: Mapping[str, DeviceEntry], answered: Mapping[str, str],
                holders: dict[str, str], cas: Mapping[str, CaEntry]) -> EventEntry:
    """One enroll-ca or enroll-local event. `answered` maps each SCEP endpoint to its CA;
    `holders` (certificate-id -> device: `enroll:` entries, then enroll-local events) is
    shared by the events of one topology."""
    path = f"events.{action}"
    where = args if isinstance(args, Located) else item
    for key in args:
        if key not in ENROLL_ARGS[action]:
            raise r.fail(where, key, f"{join(path, key)}: unknown argument (expected one of "
                                     f"{', '.join(sorted(ENROLL_ARGS[action]))})")
    for key in _REQUIRED[action]:
        if args.get(key) is None:
            raise r.fail(where, None, f"{path}: {key} is missing")
    name = r.reference(where, "device", path, devices, "device")
    device = devices[name]
    profile = r.convert(where, "ca-profile", path, _word)
    config = device.config.pki.ca_profiles.get(profile)
    if config is None:
        raise r.fail(where, "ca-profile", f"{path}.ca-profile: {name} has no ca-profile "
                                          f"{shown(profile)}")
    url = config.enrollment.url
    if url is None:
        raise r.fail(where, "ca-profile", f"{path}.ca-profile: {name}'s ca-profile {profile} "
                                          "has no enrollment url")
    ca = answered.get(endpoint(url))
    if ca is None:
        raise r.fail(where, "ca-profile", f"{path}.ca-profile: no CA's scep entry answers "
                                          f"{name}'s ca-profile {profile} enrollment url "
                                          f"{shown(url)}")
    values: dict[str, object] = {"device": name, "ca-profile": profile, "ca": ca}
    if action == "enroll-local":
        values.update(_local(r, where, path, device, holders, cas))
    at = r.convert(item, "at", "events", run_time, required=True)
    return EventEntry(at=at, action=action, args=MappingProxyType(values), line=item.line)


def _local(r: Reader, where: Located, path: str, device: DeviceEntry,
           holders: dict[str, str], cas: Mapping[str, CaEntry]) -> dict[str, object]:
    cid = r.named("certificate-id", where, "certificate-id", path)
    enrolled = {e.certificate_id: e for e in device.enroll}
    owner = holders.setdefault(cid, device.name)
    if owner != device.name or cid in cas or cid == SYSTEM_GENERATED_ID:
        whose = "a CA's name" if cid in cas else (
            "the system-generated certificate's" if cid == SYSTEM_GENERATED_ID
            else f"{owner}'s")
        raise r.fail(where, "certificate-id", f"{path}.certificate-id: {cid} is already "
                                              f"{whose}")
    size = r.convert(where, "key-size", path, _rsa_size)
    existing = enrolled.get(cid)
    if existing is not None:
        if existing.key.type is not KeyType.RSA:
            raise r.fail(where, "certificate-id", f"{path}.certificate-id: {cid}'s key pair "
                                                  f"is {existing.key.type.value.upper()}-"
                                                  f"{existing.key.size}; SCEP enrolls RSA "
                                                  "keys only")
        if size is not None and size != existing.key.size:
            raise r.fail(where, "key-size", f"{path}.key-size: {cid} already has a "
                                            f"{existing.key.size}-bit key pair")
    password = r.convert(where, "challenge-password", path, _password)
    values: dict[str, object] = {
        "certificate-id": cid, "challenge-password": password,
        "subject": r.convert(where, "subject", path, subject),
        "domain-name": r.convert(where, "domain-name", path, _word),
        "email": r.convert(where, "email", path, _word),
        "ip-address": r.convert(where, "ip-address", path, ipv4),
        "key-size": size if size is not None else (
            existing.key.size if existing is not None else KeySpec().size),
    }
    try:
        # The request the device will send: checked as local-certificate enroll checks it.
        RequestParams(certificate_id=cid, subject=values["subject"],  # type: ignore[arg-type]
                      domain_name=values["domain-name"], ip_address=values["ip-address"],
                      email=values["email"],  # type: ignore[arg-type]
                      device_serial="0").subject_alternative_name()
    except (ValueError, TypeError) as exc:
        raise r.fail(where, None, f"{path}: {exc}") from None
    return values


def _word(value: object) -> str:
    if not isinstance(value, str) or not value or not value.isprintable() or " " in value \
            or len(value) > 255:
        raise ValueError(f"{shown(value)}: expected one word of printable text")
    return value


def _password(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # `challenge-password: 123`, as the guide's sample types it
    if not isinstance(value, str) or not value or not value.isprintable() \
            or len(value) > MAX_PASSWORD:
        raise ValueError(f"{shown(value)}: expected printable text of 1..{MAX_PASSWORD} "
                         "characters")
    return value


def _rsa_size(value: object) -> int:
    size = integer(1, 1 << 16)(value)
    if size not in RSA_SIZES:
        raise ValueError(f"{size}: an RSA key pair is {', '.join(map(str, RSA_SIZES))} bits")
    return size


def scep_endpoints(cas: Mapping[str, CaEntry]) -> dict[str, str]:
    """SCEP endpoint -> the CA whose `scep:` entry answers it."""
    found: dict[str, str] = {}
    for name, entry in cas.items():
        if entry.scep is not None:
            found[endpoint(entry.scep.url)] = name
    return found


# -- the work auto-re-enrollment schedules by itself ------------------------------------------

MAX_RE_ENROLLMENTS = 20_000  # in a run: each is SCEP messages, signatures, maybe a new key
_SHORTEST_GAP = 1.0  # seconds: certificates' dates are whole seconds


def re_enrollments(devices: Mapping[str, DeviceEntry], cas: Mapping[str, CaEntry],
                   duration: float) -> tuple[int, tuple[int, str]]:
    """An upper bound of the re-enrollments `auto-re-enrollment` makes in a run of `duration`
    seconds, and the largest share (count, device and certificate-id). A certificate the CA
    issues for `validity` is renewed every validity x (100 - N) %; one that ends with the CA's
    own certificate (no validity) is renewed ever closer to that end, each time N % of the
    time left: at most log(time left) / -log(N %) times."""
    answered = scep_endpoints(cas)
    total, most = 0, (0, "")
    for device in devices.values():
        pki = device.config.pki
        for entry in pki.auto_re_enrollment.values():
            percentage = entry.re_enroll_trigger_time_percentage
            profile = pki.ca_profiles.get(entry.ca_profile_name or "")
            url = profile.enrollment.url if profile is not None else None
            ca = answered.get(endpoint(url)) if url is not None else None
            if percentage is None or ca is None:
                continue  # the timer never starts, or it fails once and waits
            policy = cas[ca].scep
            if policy is not None and policy.validity is not None:
                period = policy.validity.total_seconds() * (100 - percentage) / 100
                count = 1 + int(duration // period)
            else:
                left = cas[ca].validity_days * 86400.0 / _SHORTEST_GAP
                count = 1 + math.ceil(math.log(left) / -math.log(percentage / 100))
            total += count
            if count > most[0]:  # the first of the largest
                most = (count, f"{device.name} certificate-id {entry.certificate_id}")
    return total, most


def re_enrollment_problem(devices: Mapping[str, DeviceEntry], cas: Mapping[str, CaEntry],
                          duration: float) -> str | None:
    """What is past MAX_RE_ENROLLMENTS in a run of `duration` seconds, or None."""
    total, (count, what) = re_enrollments(devices, cas, duration)
    if total <= MAX_RE_ENROLLMENTS:
        return None
    return (f"auto-re-enrollment can re-enroll about {total:,} times in this run, at most "
            f"{MAX_RE_ENROLLMENTS:,} (most: {count:,}, {what}); shorten the duration, lengthen "
            "the CA's scep validity or lower re-enroll-trigger-time-percentage")
