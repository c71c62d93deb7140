"""`show security pki local-certificate | ca-certificate | crl | certificate-request`, rendered
from a DeviceState (guide, Chapter 16, Tables 3-6 and the sample outputs of Chapters 11, 14, 16).

Layout: the first line of an entry at column 0, its fields two spaces in, sub-fields (Validity,
Issuer, key dump, fingerprints, revocation list) four spaces in, entries separated by a blank
line -- the indentation the guide's best-preserved samples show (Chapter 16's RootCA brief and
detail, Chapter 14's `show security pki crl`). The guide also wraps long fields at about 80
columns: sim.junos.ops_wrap has the rules, the ones that reproduce Chapter 16's samples.

No `brief`/`detail` option is the brief form (the guide's samples of the two are the same).
A certificate-id or CA profile with nothing to show answers with an `error:` line.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.csr import request_signature_holds
from pki.escape import escape
from pki.names import issued_to, render_field_groups, render_oneline, render_subject_string
from pki.selfsigned import SYSTEM_GENERATED_ID
from sim.junos.device_state import DeviceState
from sim.junos.ops_format import (
    SIGNATURE_OCTETS,
    alternate_subject,
    certificate_key_algorithm,
    crl_version,
    fingerprint_block,
    hex_lines,
    junos_date,
    key_dump,
    public_key_algorithm,
    request_alternate_subject,
    serial_hex,
    signature_algorithm,
    use_for_key_items,
)
from sim.junos.ops_group_load import natural_key
from sim.junos.ops_wrap import continuation, wrap_groups, wrap_items, wrap_words
from sim.junos.re_enrollment import DISABLED, ENABLED, TIMER_NOT_STARTED, configured_trigger

__all__ = [
    "ShowError",
    "profile_order",
    "render_ca_certificates",
    "render_certificate_requests",
    "render_crls",
    "render_local_certificates",
]

DER = serialization.Encoding.DER


class ShowError(LookupError):
    """Nothing to show for the object named; str() is the device's one-line answer."""


def profile_order(state: DeviceState, names: list[str] | set[str]) -> list[str]:
    """Configured CA profiles in configuration order, then dynamic ones (dynamic-001, ...),
    then any others the store holds, by name (numbers in names compared as numbers)."""
    configured = [n for n in state.config.pki.ca_profiles if n in names]
    dynamic = sorted(n for n in names if n in state.dynamic_profiles and n not in configured)
    # A ca-profile-group's profiles in their bundle's order: g_2_sysgen before g_10_sysgen.
    rest = sorted(set(names) - set(configured) - set(dynamic), key=natural_key)
    return [*configured, *dynamic, *rest]


def _join(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks)


# -- certificates ----------------------------------------------------------------------------


def _label_words(line: str) -> list[str]:
    """A `Label: value` line holding a oneline name, broken between words."""
    return wrap_words(line, indent=continuation(line))


def _brief(identifier: str, cert: x509.Certificate) -> list[str]:
    return [
        f"Certificate identifier: {identifier}",
        *_label_words(f"  Issued to: {issued_to(cert.subject)}, "
                      f"Issued by: {render_oneline(cert.issuer)}"),
        "  Validity:",
        f"    Not before: {junos_date(cert.not_valid_before_utc)}",
        f"    Not after: {junos_date(cert.not_valid_after_utc)}",
        f"  Public key algorithm: {certificate_key_algorithm(cert)}",
    ]


def _detail(identifier: str, cert: x509.Certificate, *,
            re_enrollment: tuple[str, str]) -> list[str]:
    lines = [
        f"Certificate identifier: {identifier}",
        f"  Certificate version: {cert.version.value + 1}",
        f"  Serial number: {serial_hex(cert.serial_number)}",
        "  Issuer:",
        *wrap_groups("    ", render_field_groups(cert.issuer)),
        "  Subject:",
        *wrap_groups("    ", render_field_groups(cert.subject)),
        "  Subject string:",
        *wrap_items("    ", render_subject_string(cert.subject).split(", "), indent="    "),
    ]
    alternate = alternate_subject(cert.extensions)
    if alternate is not None:
        lines.append(f"  Alternate subject: {alternate}")
    lines += [
        "  Validity:",
        f"    Not before: {junos_date(cert.not_valid_before_utc)}",
        f"    Not after: {junos_date(cert.not_valid_after_utc)}",
        f"  Public key algorithm: {certificate_key_algorithm(cert)}",
        *(f"    {line}" for line in key_dump(cert)),
        f"  Signature algorithm: {signature_algorithm(cert)}",
    ]
    urls = _distribution_urls(cert)
    if urls:
        lines += ["  Distribution CRL:", *(f"    {url}" for url in urls)]
    lines += _use_for_key(cert.extensions, indent="  ")
    status, trigger = re_enrollment
    lines += [
        *fingerprint_block(cert.public_bytes(DER), indent="  "),
        "  Auto-re-enrollment:",
        f"    Status: {status}",
        f"    Next trigger time: {trigger}",
    ]
    return lines


def _use_for_key(extensions: x509.Extensions, *, indent: str) -> list[str]:
    """`Use for key:` wrapped after a comma. Chapter 16's two wrapped samples continue a key
    usage at the label's indent (RootCA's "Digital signature") and an extended key usage two
    further in (hello's "1.3.6.1.5.5.8.2.2"): so does ikesim."""
    usages, extended = use_for_key_items(extensions)
    if not usages and not extended:
        return []
    deeper = continuation(indent)
    return wrap_items(f"{indent}Use for key: ", [*usages, *extended], indent=indent,
                      indents=[indent] * len(usages) + [deeper] * len(extended))


def _distribution_urls(cert: x509.Certificate) -> list[str]:
    # Every full name of every distribution point: URIs as they are, directory names in the
    # oneline form (the guide's "Distinguished name information and the URL").
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    found = []
    for point in points:
        for name in point.full_name or ():
            if isinstance(name, x509.UniformResourceIdentifier):
                found.append(escape(name.value))  # anyone's text: no line it could forge
            elif isinstance(name, x509.DirectoryName):
                found.append(render_oneline(name.value))
    return found


_NOT_STARTED = (DISABLED, TIMER_NOT_STARTED)


def _re_enrollment(state: DeviceState, certificate_id: str,
                   cert: x509.Certificate) -> tuple[str, str]:
    """(Status, Next trigger time). Enabled when `auto-re-enrollment certificate-id` names the
    certificate; the trigger is when re-enroll-trigger-time-percentage of its lifetime remains
    (sim.junos.re_enrollment; the guide shows no enabled sample)."""
    trigger = configured_trigger(state.config.pki.auto_re_enrollment.get(certificate_id), cert)
    if trigger is None:
        return _NOT_STARTED
    return ENABLED, junos_date(trigger.replace(microsecond=0))


def render_local_certificates(state: DeviceState, *, certificate_id: str | None = None,
                              system_generated: bool = False, detail: bool = False) -> str:
    """`show security pki local-certificate [certificate-id ID | system-generated]
    [brief | detail]`; with neither, every local certificate, the system-generated one too."""
    certs = state.store.local_certificates
    if system_generated:
        certificate_id = SYSTEM_GENERATED_ID
    if certificate_id is not None:
        if certificate_id not in certs:
            raise ShowError(f"error: Local certificate {certificate_id} does not exist")
        wanted = [certificate_id]
    else:
        wanted = sorted(certs)
    blocks = [
        _detail(cid, certs[cid], re_enrollment=_re_enrollment(state, cid, certs[cid]))
        if detail else _brief(cid, certs[cid])
        for cid in wanted
    ]
    return _join(blocks)


def _profiles_shown(state: DeviceState, table, ca_profile: str | None, *,
                    missing: str) -> list[str]:
    """The one CA profile asked for, or all of `table`'s: configured ones, then dynamic."""
    if ca_profile is None:
        return profile_order(state, set(table))
    if ca_profile not in table:
        raise ShowError(f"error: {missing} does not exist")
    return [ca_profile]


def render_ca_certificates(state: DeviceState, *, ca_profile: str | None = None,
                           detail: bool = False) -> str:
    """`show security pki ca-certificate [ca-profile NAME] [brief | detail]`: configured CA
    profiles first, dynamic CA profiles after them."""
    certs = state.store.ca_certificates
    wanted = _profiles_shown(state, certs, ca_profile,
                             missing=f"CA certificate for profile {ca_profile}")
    # A CA certificate is never re-enrolled automatically (auto-re-enrollment names local
    # certificates), so its timer never starts.
    return _join([_detail(p, certs[p], re_enrollment=_NOT_STARTED) if detail
                  else _brief(p, certs[p]) for p in wanted])


# -- CRLs --------------------------------------------------------------------------------------

# Chapter 14's revocation list: serial left-aligned in 19 columns, then the date with " UTC".
_SERIAL_COLUMN = 19


def _crl_block(profile: str, crl: x509.CertificateRevocationList, *, detail: bool) -> list[str]:
    lines = [
        f"CA profile: {profile}",
        f"  CRL version: {crl_version(crl)}",
        *_label_words(f"  CRL issuer: {render_oneline(crl.issuer)}"),
        f"  Effective date: {junos_date(crl.last_update_utc)}",
    ]
    if crl.next_update_utc is not None:
        lines.append(f"  Next update: {junos_date(crl.next_update_utc)}")
    # An empty list prints nothing (Chapter 11's ms-ca `detail` sample ends at Next update).
    if detail and len(crl):
        lines += ["  Revocation List:",
                  f"    {'Serial number':<{_SERIAL_COLUMN}}Revocation date"]
        lines += [
            f"    {serial_hex(entry.serial_number, upper=True):<{_SERIAL_COLUMN - 1}} "
            f"{junos_date(entry.revocation_date_utc)} UTC"
            for entry in crl
        ]
    return lines


def render_crls(state: DeviceState, *, ca_profile: str | None = None,
                detail: bool = False) -> str:
    """`show security pki crl [ca-profile NAME] [brief | detail]`: CRLs of configured CA
    profiles, then those of dynamic CA profiles."""
    crls = state.store.crls
    wanted = _profiles_shown(state, crls, ca_profile, missing=f"CRL for CA profile {ca_profile}")
    return _join([_crl_block(p, crls[p], detail=detail) for p in wanted])


# -- certificate requests ----------------------------------------------------------------------


def render_certificate_requests(state: DeviceState, *, certificate_id: str | None = None,
                                detail: bool = False) -> str:
    """`show security pki certificate-request [certificate-id ID] [brief | detail]`.

    The layout of Chapter 16's samples (12.1X46): "Issued to:" the first common name, as for a
    certificate; `detail` with "Certificate version: 3" (what the sample prints, although a
    PKCS #10 request is v1), the Subject block, the alternate names the request holds, the
    public key verification status followed by the signature it checked (Table 4's
    "verification hash", 22 octets a line), fingerprints of the request's DER, and the key
    usage it asks for. Chapter 10's older form (version 1, the key dump) is not printed.
    """
    requests = state.store.requests
    if certificate_id is not None:
        if certificate_id not in requests:
            raise ShowError(f"error: Certificate request {certificate_id} does not exist")
        wanted = [certificate_id]
    else:
        wanted = sorted(requests)
    return _join([_request_detail(cid, requests[cid]) if detail
                  else _request_brief(cid, requests[cid]) for cid in wanted])


def _request_brief(cid: str, csr: x509.CertificateSigningRequest) -> list[str]:
    return [
        f"Certificate identifier: {cid}",
        f"  Issued to: {issued_to(csr.subject)}",
        f"  Public key algorithm: {public_key_algorithm(csr.public_key())}",
    ]


def _request_detail(cid: str, csr: x509.CertificateSigningRequest) -> list[str]:
    lines = [
        f"Certificate identifier: {cid}",
        "  Certificate version: 3",
        "  Subject:",
        *wrap_groups("    ", render_field_groups(csr.subject)),
    ]
    alternate = request_alternate_subject(csr.extensions)
    if alternate is not None:
        lines.append(f"  Alternate subject: {alternate}")
    status = "Passed" if request_signature_holds(csr) else "Failed"
    lines += [
        f"  Public key algorithm: {public_key_algorithm(csr.public_key())}",
        f"  Public key verification status: {status}",
        *(f"    {line}" for line in hex_lines(csr.signature, octets=SIGNATURE_OCTETS)),
        *fingerprint_block(csr.public_bytes(DER), indent="  "),
        *_use_for_key(csr.extensions, indent="  "),
    ]
    return lines
