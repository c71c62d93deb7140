"""`request security pki ...`: key pairs, requests, self-signed certificates, loading,
verifying and exporting (guide, Chapter 16 and the procedures of Chapters 9-13).

Each handler takes the state, the parsed command and a Context, and returns an Outcome; none
touches the clock (the state's `now` is the time) or the network. Verification asks pki.daemon
with the CRLs the store holds: when pkid would have to download one first, the download goes
through the Context's transport (sim.junos.ops_crl_download), and without one the answer is
the guide's "CRL verification in progress" line, as on a device before the download ends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.certs import is_self_signed
from pki.csr import (
    Digest,
    RequestParams,
    build_request,
    render_generated_request,
    request_signature_holds,
)
from pki.daemon import CachedCrl, FetchCrl, PkiDaemon
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.loaders import (
    LoadError,
    check_key_matches,
    load_certificate,
    load_crl,
    load_private_key,
)
from pki.name_match import names_match
from pki.names import render_oneline
from pki.profiles import dynamic_profile
from pki.selfsigned import generate_self_signed
from pki.signing import crl_signed_by_certificate
from pki.store import StoreError
from sim.junos.device_state import CrlSource, DeviceState
from sim.junos.ops_crl_download import verify_downloading
from sim.junos.ops_format import fingerprint_block
from sim.junos.ops_grammar import Command
from sim.junos.ops_group_load import group_profiles
from sim.junos.ops_outcome import Context, FileWrite, Outcome, confirm, failure, success
from sim.junos.ops_request_mail import request_mail

__all__ = ["HANDLERS", "daemon_for", "request_params"]

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


def _key_pair(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    """generate-key-pair certificate-id ID [size N] [type rsa|dsa|ecdsa]."""
    cid = cmd.get("certificate-id")
    size = cmd.get("size")
    try:
        spec = KeySpec(type=KeyType(cmd.get("type") or "rsa"),
                       size=int(size) if size else None)
        if cid in state.store.key_pairs:
            raise StoreError(f"Key pair {cid} already exists")
        key = generate_key_pair(spec, seed=ctx.seed_for(state, f"key/{cid}"))
        store = state.store.add_key_pair(cid, key)
    except (StoreError, ValueError) as exc:
        return failure(state, str(exc))
    return success(dataclasses.replace(state, store=store),
                   f"Generated key pair {cid}, key size {spec.size} bits")


def request_params(state: DeviceState, cmd: Command) -> RequestParams:
    digest = cmd.get("digest")
    return RequestParams(
        certificate_id=cmd.get("certificate-id"), subject=cmd.get("subject"),
        domain_name=cmd.get("domain-name"), ip_address=cmd.get("ip-address"),
        email=cmd.get("email"), digest=Digest(digest) if digest else None,
        add_ca_constraint=cmd.flag("add-ca-constraint"), device_serial=state.serial)


def _certificate_request(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    """generate-certificate-request: shown on the terminal, and written to `filename` too
    unless it is `terminal` (the guide's samples with a filename still print it)."""
    cid = cmd.get("certificate-id")
    try:
        params = request_params(state, cmd)
        key = state.store.key_pair(cid)
        csr = build_request(key, params)
        store = state.store.add_request(cid, csr)
    except (StoreError, ValueError) as exc:
        return failure(state, str(exc))
    filename = cmd.get("filename")
    if filename in (None, "terminal"):
        return success(dataclasses.replace(state, store=store), render_generated_request(csr))
    # With a CA administrator's address configured, the request file is also e-mailed: the
    # message is written beside it (sim.junos.ops_request_mail).
    mail = request_mail(state, cid, csr)
    writes = (FileWrite(path=filename, data=csr.public_bytes(PEM)),
              *((FileWrite(path=f"{filename}.eml", data=mail.data),) if mail.data else ()))
    lines = (render_generated_request(csr), *((mail.note,) if mail.note else ()))
    return success(dataclasses.replace(state, store=store), *lines, writes=writes)


def _self_signed(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    cid = cmd.get("certificate-id")
    try:
        params = request_params(state, cmd)
        key = state.store.key_pair(cid)
        cert = generate_self_signed(key, params, now=state.now,
                                    serial=random.Random(ctx.seed_for(state, f"serial/{cid}")))
        store = state.store.add_local_certificate(cid, cert)
    except (StoreError, ValueError) as exc:
        return failure(state, str(exc))
    return success(dataclasses.replace(state, store=store),
                   "Self-signed certificate generated and loaded successfully")


def _load_local(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    """local-certificate load certificate-id ID filename F [key K]: with `key`, the key pair
    comes from file K (Chapter 16's form and answer); without, it must exist (Chapter 11's)."""
    cid, filename, key_file = cmd.get("certificate-id"), cmd.get("filename"), cmd.get("key")
    try:
        cert = load_certificate(ctx.load(filename), source=filename)
        store = state.store
        if key_file is not None:
            key = load_private_key(ctx.load(key_file), source=key_file)
            check_key_matches(cert, key, source=filename, certificate_id=cid)
            store = store.add_key_pair(cid, key)
        store = store.add_local_certificate(cid, cert, source=filename)
    except (LoadError, StoreError) as exc:
        return failure(state, str(exc))
    text = (f"Local certificate {filename} loaded successfully" if key_file
            else "Local certificate loaded successfully")
    return success(dataclasses.replace(state, store=store), text)


def _profile_known(state: DeviceState, profile: str) -> bool:
    return profile in state.config.pki.ca_profiles or profile in state.dynamic_profiles


def _load_ca(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    profile, filename = cmd.get("ca-profile"), cmd.get("filename")
    if profile not in state.config.pki.ca_profiles:
        return failure(state, f"CA profile {profile} is not configured")
    if profile in state.store.ca_certificates:
        return failure(state, f"CA certificate for profile {profile} is already loaded; run "
                              f"'clear security pki ca-certificate ca-profile {profile}' first")
    try:
        cert = load_certificate(ctx.load(filename), source=filename)
    except LoadError as exc:
        return failure(state, str(exc))

    def load() -> Outcome:
        try:
            store = state.store.add_ca_certificate(profile, cert)
        except StoreError as exc:
            return failure(state, str(exc))
        return success(dataclasses.replace(state, store=store),
                       f"CA certificate for profile {profile} loaded successfully")

    return confirm(state, fingerprint_block(cert.public_bytes(DER), indent=""),
                   "Do you want to load this CA certificate ? [yes,no] (no) ", ctx, load)


def _load_crl(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    profile, filename = cmd.get("ca-profile"), cmd.get("filename")
    if not _profile_known(state, profile):
        return failure(state, f"CA profile {profile} is not configured")
    if profile in state.store.crls:  # Chapter 12: the old CRL must be cleared first
        return failure(state, f"CRL for CA profile {profile} is already loaded; run "
                              f"'clear security pki crl ca-profile {profile}' first")
    ca = state.store.ca_certificates.get(profile)
    if ca is None:
        return failure(state, f"CA certificate for profile {profile} is not loaded")
    try:
        crl = load_crl(ctx.load(filename), source=filename)
    except LoadError as exc:
        return failure(state, str(exc))
    if not names_match(crl.issuer, ca.subject) or not crl_signed_by_certificate(crl, ca):
        return failure(state, f"{filename}: CRL is not signed by the CA of profile {profile} "
                              f"({render_oneline(ca.subject)})")
    store = state.store.add_crl(profile, crl)
    sources = {**state.crl_sources,
               profile: CrlSource(url=None, loaded_at=state.now.isoformat(), refresh_at=None)}
    return success(dataclasses.replace(state, store=store, crl_sources=sources),
                   f"CRL for CA profile {profile} loaded successfully")


# -- verification --------------------------------------------------------------------------


def daemon_for(state: DeviceState, *, leave_out: str | None = None) -> PkiDaemon:
    """pkid as the run left it: configured and dynamic CA profiles, the CRLs with their
    refresh times. `leave_out`: a CA profile whose certificate is not trusted (the one being
    verified, so it is checked against the CA above it)."""
    profiles = {**state.config.pki.ca_profiles, **group_profiles(state)}
    store = state.store
    dynamic: dict[str, x509.Certificate] = {}
    parents: dict[str, str] = {}
    for name, parent in sorted(state.dynamic_profiles.items()):
        cert = store.ca_certificates.get(name)
        if cert is not None and parent in profiles:
            profiles[name] = dynamic_profile(profiles[parent], index=int(name.split("-")[-1]),
                                             ca_identity=render_oneline(cert.subject))
            dynamic[name] = cert
            parents[name] = parent
        if name in store.ca_certificates:
            # Dynamic profiles' CAs are never trust anchors: keep them out of the store.
            store = store.clear_ca_certificate(name)
    if leave_out is not None and leave_out in store.ca_certificates:
        store = store.clear_ca_certificate(leave_out)
    crls = {}
    for name, crl in state.store.crls.items():
        source = state.crl_sources.get(name)
        refresh = source.refresh_at if source is not None else None
        crls[name] = CachedCrl(
            crl=crl, loaded_at=dt.datetime.fromisoformat(source.loaded_at) if source else
            state.now, refresh_at=dt.datetime.fromisoformat(refresh) if refresh else None,
            url=source.url if source else None)
    return PkiDaemon(profiles=profiles, store=store, dynamic=dynamic, parents=parents,
                     crls=crls)


# Two lines, broken before "logs" whatever the name's length: both of Chapter 16's samples
# break there, one of them 81 columns wide, so the break is in the message, not a wrap.
_IN_PROGRESS = (": CRL verification in progress. Please check the PKId debug\n"
                "logs for completion status")


def _verify_local(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    cid = cmd.get("certificate-id")
    cert = state.store.local_certificates.get(cid)
    if cert is None:
        return failure(state, f"Local certificate {cid} does not exist")
    answer, after = verify_downloading(state, daemon_for(state), cert, ctx)
    if isinstance(answer, FetchCrl):
        return success(state, f"Local certificate {cid}{_IN_PROGRESS}")
    if answer.ok:
        return success(after, f"Local certificate {cid} verification success")
    return _failed(after, f"Local certificate {cid} verification failed: "
                          f"{answer.result.message}")


def _verify_ca(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    profile = cmd.get("ca-profile")
    cert = state.store.ca_certificates.get(profile)
    if cert is None:
        return failure(state, f"CA certificate for profile {profile} does not exist")
    # A root is its own anchor; any other CA certificate is checked against the CAs above it.
    daemon = daemon_for(state, leave_out=None if is_self_signed(cert) else profile)
    answer, after = verify_downloading(state, daemon, cert, ctx)
    if isinstance(answer, FetchCrl):
        return success(state, f"CA certificate {profile}{_IN_PROGRESS}")
    if answer.ok:
        return success(after, f"CA certificate {profile} verified successfully")
    return _failed(after, f"CA certificate {profile} verification failed: "
                          f"{answer.result.message}")


def _failed(state: DeviceState, text: str) -> Outcome:
    # A verdict, not a refusal: the line is pkid's answer, without "error:".
    return Outcome(output=text, state=state, error=True)


def _export(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    cid, filename = cmd.get("certificate-id"), cmd.get("filename")
    cert = state.store.local_certificates.get(cid)
    if cert is None:
        return failure(state, f"Local certificate {cid} does not exist")
    data = cert.public_bytes(DER if cmd.get("type") == "der" else PEM)
    return success(state, "certificate exported successfully",
                   writes=(FileWrite(path=filename, data=data),))


def _integrity(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    """Every local certificate matches its key pair, every request and CRL signature holds."""
    store = state.store
    problems = []
    for cid, cert in store.local_certificates.items():
        key = store.key_pairs.get(cid)
        try:
            if key is None:
                raise LoadError(cid, "no key pair")
            check_key_matches(cert, key, source=cid, certificate_id=cid)
        except LoadError:
            problems.append(f"Local certificate {cid}: verification failed")
    for cid, csr in store.requests.items():
        if not request_signature_holds(csr):
            problems.append(f"Certificate request {cid}: verification failed")
    for profile, crl in store.crls.items():
        ca = store.ca_certificates.get(profile)
        if ca is not None and not crl_signed_by_certificate(crl, ca):
            problems.append(f"CRL for CA profile {profile}: verification failed")
    if problems:
        return Outcome(output="\n".join(problems), state=state, error=True)
    return success(state, "All PKI objects: verification success")


HANDLERS = {
    "request pki generate-key-pair": _key_pair,
    "request pki generate-certificate-request": _certificate_request,
    "request pki local-certificate generate-self-signed": _self_signed,
    "request pki local-certificate load": _load_local,
    "request pki local-certificate verify": _verify_local,
    "request pki local-certificate export": _export,
    "request pki ca-certificate load": _load_ca,
    "request pki ca-certificate verify": _verify_ca,
    "request pki crl load": _load_crl,
    "request pki verify-integrity-status": _integrity,
}
