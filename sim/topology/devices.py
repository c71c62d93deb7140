"""The `devices:` section: each device's address, enrollments, CA certificates and CRLs, and its
Junos configuration, checked as Junos checks it at commit (and against the topology: the
external interface's address, the local certificate's key against each proposal).

    devices:
      Host-A:
        address: 10.0.0.1
        enroll: [{certificate-id: Host-A, ca: Dev-CA, key: rsa-1024, subject: "CN=Host-A",
                  ip-address: 10.0.0.1}]
        ca-certificates: {Root-CA: Root-CA}         # ca-profile -> CA
        crls: {Root-CA: Root-CA}                    # loaded at start
        config: |
          set security ike proposal p1 authentication-method rsa-signatures
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from types import MappingProxyType

from pki.csr import RequestParams
from pki.files import shown
from pki.keys import KeySpec, KeyType
from pki.profiles import ConfigError
from pki.selfsigned import SYSTEM_GENERATED_ID
from sim.junos.config import AuthenticationMethod, DeviceConfig, parse_config
from sim.junos.setcmd import ConfigSyntaxError, parse_tree
from sim.topology.cas import validity_days
from sim.topology.gateway import GatewayError, interface_address, plan
from sim.topology.limits import CA_FOLDER, MAX_DEVICES
from sim.topology.reader import (
    Reader,
    delay,
    flag,
    integer,
    ipv4,
    key_spec,
    label,
    offset,
    subject,
)
from sim.topology.sharing import SharedParts
from sim.topology.values import (
    CA_HEAD_START,
    EE_HEAD_START,
    CaEntry,
    DeviceEntry,
    EnrollEntry,
    TopologyError,
)
from sim.topology.yaml_lines import Located

# cryptography encodes dates from 1950 (UTCTime's first year) on.
EARLIEST_CERTIFICATE = dt.datetime(1950, 1, 1, tzinfo=dt.UTC)
_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")
# What key each signature method signs with (pre-shared-keys needs no certificate).
_METHOD_KEYS = {
    AuthenticationMethod.RSA_SIGNATURES: KeyType.RSA,
    AuthenticationMethod.DSA_SIGNATURES: KeyType.DSA,
    AuthenticationMethod.ECDSA_SIGNATURES_256: KeyType.ECDSA,
    AuthenticationMethod.ECDSA_SIGNATURES_384: KeyType.ECDSA,
}
_METHOD_CURVES = {AuthenticationMethod.ECDSA_SIGNATURES_256: 256,
                  AuthenticationMethod.ECDSA_SIGNATURES_384: 384}


@dataclass(frozen=True, kw_only=True)
class Devices:
    entries: dict[str, DeviceEntry]
    warnings: tuple[str, ...]


def read_devices(r: Reader, section: Located, cas: dict[str, CaEntry],
                 cross: tuple[tuple[str, str], ...], *, start: dt.datetime) -> Devices:
    if len(section) > MAX_DEVICES:
        raise r.fail(section, None, f"devices: {len(section):,} devices; a topology holds at "
                                    f"most {MAX_DEVICES:,}")
    devices: dict[str, DeviceEntry] = {}
    warnings: dict[tuple[int, str], str] = {}
    seen_addresses: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    shared = SharedParts()  # a group's members hold one copy of what they configure alike
    for name, entry, path in r.entries(section, "device", "devices", {
            "address", "serial", "clock-offset", "enroll", "ca-certificates", "crls", "config",
            "pkid-processing", "download-timeout", "key-pool", "keep"}):
        if name == CA_FOLDER:
            raise r.fail(section, name, f"{path}: the name {CA_FOLDER} is taken in the run "
                                        f"folder (pki/{CA_FOLDER}/ holds the CAs' "
                                        "certificates and CRLs); choose another")
        address = r.convert(entry, "address", path, ipv4)
        if address is None:
            raise r.fail(entry, None, f"{path}.address: missing")
        if address in seen_addresses:
            raise r.fail(entry, "address", f"{path}.address: {address} is already "
                                           f"{seen_addresses[address]}'s")
        seen_addresses[address] = name
        enrollments = _enrollments(r, entry, path, cas, start, seen_ids, name)
        ca_certificates = shared.one("ca-certificates", _profiles(r, entry, "ca-certificates",
                                                                   path, cas, cross))
        crls = shared.one("crls", _profiles(r, entry, "crls", path, cas, cross))
        config_text = entry.get("config") or ""
        if not isinstance(config_text, str):
            raise r.fail(entry, "config", f"{path}.config: expected Junos configuration text")
        # Characters Junos does not take (NUL, escapes, bidi controls) are the parser's to
        # refuse: it names the statement and the line.
        config = shared.config(_config(r, entry, name, config_text))
        _check_external_addresses(r, entry, name, address, config)
        _check_gateways(r, entry, name, address, config, config_text)
        _check_authentication(r, entry, name, config, config_text, enrollments)
        first = entry.value_lines.get("config", entry.line)
        for statement in getattr(config, "unmodelled", ()):
            # A group's members share the template's lines: one warning per line, not per
            # member.
            line = first + statement.line - 1
            warnings.setdefault((line, statement.statement), (
                f"{r.source} line {line}: {path}.config: '{statement.statement}' is not "
                "modelled by ikesim (accepted, no effect)"))
        devices[name] = DeviceEntry(
            name=name, address=address,
            serial=r.convert(entry, "serial", path, _serial, default=_serial_for(name)),
            clock_offset=r.convert(entry, "clock-offset", path, offset, default=0.0),
            enroll=enrollments, ca_certificates=ca_certificates, crls=crls,
            config=config, config_text=config_text,
            pkid_processing=r.convert(entry, "pkid-processing", path, delay, default=0.005),
            download_timeout=r.convert(entry, "download-timeout", path, delay, default=5.0),
            key_pool=r.convert(entry, "key-pool", path, integer(1, MAX_DEVICES)),
            keep=r.convert(entry, "keep", path, flag, default=True),
        )
    return Devices(entries=devices, warnings=tuple(warnings.values()))


def _serial(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not _SERIAL.fullmatch(value):
        raise ValueError(f"{shown(value)} is not a chassis serial number (letters, digits and "
                         "'-', at most 32)")
    return value


def _serial_for(device: str) -> str:
    # A stable, SRX-looking chassis serial (JN + 10 characters) when the topology gives none.
    return "JN" + hashlib.sha256(device.encode()).hexdigest()[:10].upper()


def _enrollments(r: Reader, entry: Located, path: str, cas: dict[str, CaEntry],
                 start: dt.datetime, seen_ids: dict[str, str], device: str
                 ) -> tuple[EnrollEntry, ...]:
    items = entry.get("enroll") or []
    if isinstance(items, Located):
        items = [items]
    if not isinstance(items, list):
        raise r.fail(entry, "enroll", f"{path}.enroll: expected a list of mappings")
    enrollments = []
    for item in items:
        enrollment = _enroll(r, item, f"{path}.enroll", entry, cas, start)
        # Certificates are named by certificate-id in the CA hierarchy (and in revoke events),
        # so one id may be used by one device only, and not by a CA.
        holder = seen_ids.setdefault(enrollment.certificate_id, device)
        again = any(e.certificate_id == enrollment.certificate_id for e in enrollments)
        if holder != device or enrollment.certificate_id in cas or again:
            owner = ("enrolled above" if again else f"{holder}'s" if holder != device
                     else "a CA's name")
            raise r.fail(item, "certificate-id", f"{path}.enroll: certificate-id "
                                                 f"{enrollment.certificate_id} is already "
                                                 f"{owner}")
        enrollments.append(enrollment)
    return tuple(enrollments)


def _enroll(r: Reader, item: object, path: str, parent: Located, cas: dict[str, CaEntry],
            start: dt.datetime) -> EnrollEntry:
    if not isinstance(item, Located):
        raise r.fail(parent, "enroll", f"{path}: each entry must be a mapping")
    r.only(item, {"certificate-id", "ca", "subject", "domain-name", "email", "ip-address", "key",
                  "not-before", "validity"}, path)
    if item.get("certificate-id") is None or not isinstance(item.get("ca"), str) \
            or item["ca"] not in cas:
        raise r.fail(item, None, f"{path}: needs a certificate-id and a ca from cas "
                                 f"(got ca {shown(item.get('ca'))})")
    cid = r.named("certificate-id", item, "certificate-id", path)
    ca = item["ca"]
    for key in ("domain-name", "email"):
        if item.get(key) is not None and not (isinstance(item[key], str)
                                              and item[key].isprintable()):
            raise r.fail(item, key, f"{path}.{key}: expected printable text")
    entry = EnrollEntry(
        certificate_id=cid, ca=ca,
        subject=r.convert(item, "subject", path, subject, default=f"CN={cid}"),
        domain_name=item.get("domain-name"), email=item.get("email"),
        ip_address=r.convert(item, "ip-address", path, ipv4),
        key=r.convert(item, "key", path, key_spec, default=KeySpec()),
        not_before=r.convert(item, "not-before", path, offset),
        validity_days=r.convert(item, "validity", path, validity_days),
    )
    try:
        # The enrollment is a certificate request: check it as the request command would,
        # subjectAltName included (its names go into the certificate as ASCII).
        RequestParams(certificate_id=entry.certificate_id, subject=entry.subject,
                      domain_name=entry.domain_name, ip_address=entry.ip_address,
                      email=entry.email, device_serial="0").subject_alternative_name()
    except (ValueError, TypeError) as exc:
        raise r.fail(item, None, f"{path}: {exc}") from None
    begins = start + (dt.timedelta(seconds=entry.not_before) if entry.not_before is not None
                      else -EE_HEAD_START)
    if begins < EARLIEST_CERTIFICATE:
        raise r.fail(item, "not-before", f"{path}.not-before: certificate {cid} would begin "
                                         f"in {begins.year}; X.509 dates begin in 1950")
    if entry.validity_days is None:
        # The certificate then ends with its CA's: it must begin before that.
        ca_end = start - CA_HEAD_START + dt.timedelta(days=cas[ca].validity_days)
        if begins >= ca_end:
            raise r.fail(item, "not-before", f"{path}: certificate {cid} would begin after "
                                             f"{ca}'s own certificate ends; give a validity")
    return entry


def _profiles(r: Reader, entry: Located, key: str, path: str, cas: dict[str, CaEntry],
              cross: tuple[tuple[str, str], ...]) -> MappingProxyType:
    """`ca-certificates:` or `crls:`: ca-profile -> CA ("Root-B by Root-A": the cross
    certificate Root-A issued to Root-B)."""
    table = r.mapping(entry, key, path)
    where = f"{path}.{key}"
    for profile, ca in table.items():
        r.name("ca-profile", table, profile, where)
        if not isinstance(ca, str):
            raise r.fail(table, profile, f"{where}.{profile}: no CA named {shown(ca)}")
        subject_, _, issuer = ca.partition(" by ")
        if key == "ca-certificates" and issuer:
            if (issuer, subject_) not in cross:
                raise r.fail(table, profile, f"{where}.{profile}: no cross-certify of "
                                             f"{label(subject_)} by {label(issuer)}")
        elif ca not in cas:
            raise r.fail(table, profile, f"{where}.{profile}: no CA named {shown(ca)}")
    return MappingProxyType(dict(table))


def _config(r: Reader, entry: Located, device: str, config_text: str) -> DeviceConfig:
    first = entry.value_lines.get("config", entry.line)
    try:
        return parse_config(config_text, source=device)
    except (ConfigSyntaxError, ConfigError, ValueError) as exc:
        line = getattr(exc, "line", None)
        if line is None:
            found = re.search(r" config line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
        file_line = first + line - 1 if line else entry.lines.get("config")
        raise TopologyError(r.source, file_line, f"devices.{device}.config: {exc}") from None


def _config_line(entry: Located, device: str, config_text: str, words: list[str]) -> int:
    """The topology file's line of the configuration statement `words`."""
    first = entry.value_lines.get("config", entry.line)
    return first + parse_tree(config_text, source=device).root.line_of(words) - 1


def _check_external_addresses(r: Reader, entry: Located, name: str, address: str,
                              config: DeviceConfig) -> None:
    """Each gateway's external interface must carry the device's address: that is where the
    peers send IKE to."""
    for gateway in config.ike.gateways.values():
        found = interface_address(config, gateway.external_interface)
        if found is not None and found != address:
            raise r.fail(entry, "address",
                         f"devices.{name}.address: {address}, but gateway {gateway.name}'s "
                         f"external-interface {gateway.external_interface} has {found}")


def _check_gateways(r: Reader, entry: Located, name: str, address: str,
                    config: DeviceConfig, config_text: str) -> None:
    """Junos's commit check of each IKE gateway with its policy and proposals (a pre-shared
    key where a proposal needs one, identities IKE can carry), so that kmd never meets a
    gateway it cannot use."""
    for gateway in config.ike.gateways:
        try:
            plan(config, gateway, device_address=address)
        except GatewayError as exc:
            line = _config_line(entry, name, config_text, ["security", "ike", "gateway", gateway])
            raise TopologyError(r.source, line, f"devices.{name}.config: gateway {gateway}: "
                                                f"{exc}") from None


def _check_authentication(r: Reader, entry: Located, name: str, config: DeviceConfig,
                          config_text: str, enrollments: tuple[EnrollEntry, ...]) -> None:
    """A signature method needs a local certificate whose key makes such signatures, as Junos
    checks at commit: an RSA certificate cannot sign for ecdsa-signatures-256."""
    keys = {e.certificate_id: e.key for e in enrollments}
    keys.setdefault(SYSTEM_GENERATED_ID, KeySpec())  # the device's own RSA-1024 certificate
    ike = config.ike
    for gateway in ike.gateways.values():
        policy = ike.policies.get(gateway.ike_policy or "")
        if policy is None or policy.local_certificate not in keys:
            continue
        key = keys[policy.local_certificate]
        for proposal_name in policy.proposals:
            proposal = ike.proposals.get(proposal_name)
            method = proposal.authentication_method if proposal is not None else None
            if method not in _METHOD_KEYS or (
                    key.type is _METHOD_KEYS[method]
                    and _METHOD_CURVES.get(method, key.size) == key.size):
                continue
            line = _config_line(entry, name, config_text, ["security", "ike", "proposal",
                                                    proposal_name, "authentication-method"])
            raise TopologyError(
                r.source, line,
                f"devices.{name}.config: gateway {gateway.name}: policy {policy.name} proposal "
                f"{proposal_name} authentication-method {method.value} does not fit local "
                f"certificate {policy.local_certificate} ({_describe(key)}): "
                f"{method.value} needs {_needs(method)}")


def _describe(key: KeySpec) -> str:
    if key.type is KeyType.ECDSA:
        return f"an ECDSA P-{key.size} key"
    return f"{'an' if key.type is KeyType.RSA else 'a'} {key.type.value.upper()} {key.size}-bit key"


def _needs(method: AuthenticationMethod) -> str:
    if method in _METHOD_CURVES:
        return f"an ECDSA P-{_METHOD_CURVES[method]} key"
    return f"{'an' if _METHOD_KEYS[method] is KeyType.RSA else 'a'} " \
           f"{_METHOD_KEYS[method].value.upper()} key"
