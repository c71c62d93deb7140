"""`request security pki ca-certificate ca-profile-group load ca-group-name G filename F`
(guide, Chapter 16): a PEM bundle of CA certificates (a browser's trust list, say) loaded at
once, one CA profile per certificate, named `G_1_sysgen`, `G_2_sysgen`, ... by the block's
place in the file.

    Do you want to load this CA certificate ? [yes,no] (no) yes

    Loading 196 certificates for group 'ca-default'.
    ca-default_1_sysgen: Loading done.
    ...
    ca-profile-group 'ca-default' successfully loaded. Success[193] Skipped[3]

A block is skipped, with its own line (the guide counts skipped certificates but shows none;
the line's words are ikesim's): when it does not parse as a certificate, when it is not a CA
certificate (basicConstraints CA:FALSE or absent, except on a self-signed certificate, as old
v1 roots carry no extensions), or when the same certificate came earlier in the bundle or is
already loaded in another CA profile.

The profiles exist only in the certificate store (no configuration names them): pkid trusts
them as it trusts configured CA profiles' certificates (daemon_for), and `show security pki
ca-certificate` lists them after the configured and dynamic ones.

The bundle is hostile input: its size and number of blocks are checked before anything is
parsed, and blocks are found by a linear scan (no regular expression that could backtrack).
"""

from __future__ import annotations

import dataclasses
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.certs import is_self_signed
from pki.files import NAME_MAX, FileRefused, check_name
from pki.loaders import LoadError, load_certificate
from pki.names import render_oneline
from pki.profiles import CaProfile
from sim.junos.device_state import DeviceState
from sim.junos.ops_grammar import Command
from sim.junos.ops_outcome import Context, Outcome, confirm, failure, success

__all__ = ["BUNDLE_MAX_BYTES", "MAX_CERTIFICATES", "group_profiles", "natural_key"]

# A browser's whole trust list is a few hundred KB and about 200 certificates: these bounds
# leave room for ten times that, and bound the work one command can cause.
BUNDLE_MAX_BYTES = 4 * 1024 * 1024
MAX_CERTIFICATES = 2000
_BEGIN = b"-----BEGIN CERTIFICATE-----"
_END = b"-----END CERTIFICATE-----"
_MEMBER = re.compile(r"(?P<group>.+)_(?P<index>[0-9]+)_sysgen")
DER = serialization.Encoding.DER
QUESTION = "Do you want to load this CA certificate ? [yes,no] (no) "


def member_name(group: str, index: int) -> str:
    return f"{group}_{index}_sysgen"


def natural_key(name: str) -> tuple:
    """`g_2_sysgen` before `g_10_sysgen`: numbers compared as numbers."""
    return tuple(int(part) if part.isdigit() else part
                 for part in re.split(r"([0-9]+)", name))


def _is_member(state: DeviceState, name: str, group: str | None = None) -> bool:
    found = _MEMBER.fullmatch(name)
    return (found is not None and (group is None or found["group"] == group)
            and name not in state.config.pki.ca_profiles
            and name not in state.dynamic_profiles)


def group_profiles(state: DeviceState) -> dict[str, CaProfile]:
    """The CA profiles a ca-profile-group load created, as pkid holds them: trusted, with
    the default revocation checking (CRLs from the certificates' CDPs)."""
    return {name: CaProfile(name=name, ca_identity=render_oneline(cert.subject))
            for name, cert in sorted(state.store.ca_certificates.items(),
                                     key=lambda item: natural_key(item[0]))
            if _is_member(state, name)}


def _blocks(data: bytes) -> list[bytes]:
    """Each `-----BEGIN CERTIFICATE-----` ... `-----END CERTIFICATE-----` block, in order, one
    for each BEGIN line: a block without its END runs to the next BEGIN or the end of the file
    (and will not parse). Each search starts where the last one stopped: linear time."""
    blocks = []
    end = 0  # where the next END line starts (-1: there is none)
    at = data.find(_BEGIN)
    while at >= 0:
        following = data.find(_BEGIN, at + len(_BEGIN))
        if 0 <= end < at + len(_BEGIN):
            end = data.find(_END, at + len(_BEGIN))
        if end >= 0 and (following < 0 or end < following):
            stop = end + len(_END)
        else:
            stop = following if following >= 0 else len(data)
        blocks.append(data[at:stop])
        at = following
    return blocks


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return is_self_signed(cert)


def _load(state: DeviceState, group: str, blocks: list[bytes], filename: str) -> Outcome:
    store = state.store
    held = {cert.public_bytes(DER): name for name, cert in store.ca_certificates.items()}
    lines = [f"Loading {len(blocks)} certificates for group '{group}'."]
    loaded = 0
    for index, block in enumerate(blocks, 1):
        name = member_name(group, index)
        try:
            cert = load_certificate(block, source=f"{filename} certificate {index}")
        except LoadError as exc:
            lines.append(f"{name}: Skipped ({exc.problem}).")
            continue
        der = cert.public_bytes(DER)
        if not _is_ca(cert):
            lines.append(f"{name}: Skipped (not a CA certificate).")
        elif der in held:
            lines.append(f"{name}: Skipped (the same certificate as CA profile {held[der]}).")
        else:
            store = store.add_ca_certificate(name, cert)
            held[der] = name
            loaded += 1
            lines.append(f"{name}: Loading done.")
    lines.append(f"ca-profile-group '{group}' successfully loaded. "
                 f"Success[{loaded}] Skipped[{len(blocks) - loaded}]")
    return success(dataclasses.replace(state, store=store), *lines)


def _group_load(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    group, filename = cmd.get("ca-group-name"), cmd.get("filename")
    if any(_is_member(state, name, group) for name in state.store.ca_certificates):
        return failure(state, f"ca-profile-group '{group}' is already loaded; clear its CA "
                              f"certificates first (clear security pki ca-certificate)")
    try:
        data = ctx.load(filename)
    except LoadError as exc:
        return failure(state, str(exc))
    if not data.strip():
        return failure(state, f"{filename}: is empty")
    if len(data) > BUNDLE_MAX_BYTES:
        return failure(state, f"{filename}: CA bundle is {len(data)} bytes; the maximum is "
                              f"{BUNDLE_MAX_BYTES // (1024 * 1024)} MB")
    count = data.count(_BEGIN)
    if count == 0:
        return failure(state, f"{filename}: no PEM certificate ({_BEGIN.decode()}) in the file")
    if count > MAX_CERTIFICATES:
        return failure(state, f"{filename}: {count} certificates; a ca-profile-group holds at "
                              f"most {MAX_CERTIFICATES}")
    try:  # every name the group will use must be a CA profile name (at most 63 characters)
        check_name("ca-profile", member_name(group, count))
    except FileRefused:
        return failure(state, f"ca-group-name {group}: too long for {count} certificates "
                              f"(CA profile {member_name(group, count)} would be over "
                              f"{NAME_MAX} characters)")
    taken = [member_name(group, i) for i in range(1, count + 1)
             if member_name(group, i) in state.config.pki.ca_profiles]
    if taken:
        return failure(state, f"ca-profile-group '{group}': CA profile {taken[0]} is configured")
    blocks = _blocks(data)
    return confirm(state, [], QUESTION, ctx, lambda: _load(state, group, blocks, filename))


HANDLERS = {"request pki ca-certificate ca-profile-group load": _group_load}
