"""`clear security pki key-pair | local-certificate | ca-certificate | crl` (guide, Chapter 16
and "Deleting Certificates", "Deleting a Loaded CRL").

The guide's samples of clear key-pair and clear local-certificate print nothing, and so do these.
Clearing a CA certificate asks for confirmation first (Chapter 11: "You are asked for
confirmation before a CA certificate can be deleted"; the question's words are not shown, so
they follow the load question's). Clearing a dynamic CA profile's certificate removes the
profile, with its CRL.
"""

from __future__ import annotations

import dataclasses
import random

from pki.keys import KeySpec, generate_key_pair
from pki.selfsigned import SYSTEM_GENERATED_ID, generate_system_certificate
from pki.store import StoreError
from sim.junos.device_state import DeviceState
from sim.junos.ops_grammar import Command
from sim.junos.ops_outcome import Context, Outcome, confirm, failure, success

__all__ = ["HANDLERS"]

ALL = "all"


def _key_pair(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    """`all`: every key pair no local certificate uses, with its pending request (a key pair
    under a local certificate goes with `clear security pki local-certificate`)."""
    store = state.store
    if cmd.flag(ALL):
        ids = set(store.key_pairs) - set(store.local_certificates)
    else:
        cid = cmd.get("certificate-id")
        if cid not in store.key_pairs:
            return failure(state, f"Key pair {cid} does not exist")
        if cid in store.local_certificates:
            return failure(state, f"Key pair {cid} is used by local certificate {cid}; run "
                                  f"'clear security pki local-certificate certificate-id {cid}'")
        ids = {cid}
    for cid in sorted(ids):
        store = store.clear_key_pair(cid)
    return success(dataclasses.replace(state, store=store))


def _local(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    """`all` spares the system-generated certificate (Chapter 16's note); `system-generated`
    clears it and makes a new one, with a new key pair."""
    store = state.store
    try:
        if cmd.flag(ALL):
            for cid in [c for c in store.local_certificates if c != SYSTEM_GENERATED_ID]:
                store = store.clear_local_certificate(cid)
        elif cmd.flag("system-generated"):
            old = store.local_certificates.get(SYSTEM_GENERATED_ID)
            if old is not None or SYSTEM_GENERATED_ID in store.key_pairs:
                store = store.clear_local_certificate(SYSTEM_GENERATED_ID)
            # A new seed each time: the old certificate's serial is part of it.
            seed = ctx.seed_for(state, f"system-generated/{old.serial_number if old else 0}")
            key = generate_key_pair(KeySpec(), seed=seed)
            cert = generate_system_certificate(key, device_serial=state.serial, now=state.now,
                                               serial=random.Random(seed))
            store = store.add_key_pair(SYSTEM_GENERATED_ID, key)
            store = store.add_local_certificate(SYSTEM_GENERATED_ID, cert)
        else:
            store = store.clear_local_certificate(cmd.get("certificate-id"))
    except StoreError as exc:
        return failure(state, str(exc))
    return success(dataclasses.replace(state, store=store))


def _drop_profiles(state: DeviceState, names: list[str], *, certificates: bool
                   ) -> DeviceState:
    """State without the CRLs (and with `certificates`, the CA certificates) of `names`;
    a dynamic CA profile losing its certificate goes altogether."""
    store = state.store
    gone = set(names)
    if certificates:
        for name in names:
            store = store.clear_ca_certificate(name)
        gone_dynamic = gone & set(state.dynamic_profiles)
        crl_gone = gone_dynamic
    else:
        gone_dynamic = set()
        crl_gone = gone
    for name in crl_gone:
        if name in store.crls:
            store = store.clear_crl(name)
    return dataclasses.replace(
        state, store=store,
        dynamic_profiles={k: v for k, v in state.dynamic_profiles.items()
                          if k not in gone_dynamic},
        crl_sources={k: v for k, v in state.crl_sources.items() if k not in crl_gone},
    )


def _ca(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    profile = cmd.get("ca-profile")
    held = state.store.ca_certificates
    if profile == ALL:
        names = list(held)
        question = "Do you want to delete all CA certificates ? [yes,no] (no) "
    elif profile not in held:
        return failure(state, f"CA certificate for profile {profile} does not exist")
    else:
        names = [profile]
        question = "Do you want to delete this CA certificate ? [yes,no] (no) "
    if not names:
        return success(state)

    def clear() -> Outcome:
        lines = [f"CA certificate for profile {name} cleared" for name in names]
        return success(_drop_profiles(state, names, certificates=True), *lines)

    return confirm(state, [], question, ctx, clear)


def _crl(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    profile = cmd.get("ca-profile")
    if profile == ALL:
        names = list(state.store.crls)
    elif profile not in state.store.crls:
        return failure(state, f"CRL for CA profile {profile} does not exist")
    else:
        names = [profile]
    return success(_drop_profiles(state, names, certificates=False),
                   *(f"CRL for CA profile {name} cleared" for name in names))


HANDLERS = {
    "clear pki key-pair": _key_pair,
    "clear pki local-certificate": _local,
    "clear pki ca-certificate": _ca,
    "clear pki crl": _crl,
}
