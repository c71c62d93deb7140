"""The record `show security ike security-associations` lists for an IKE SA kmd established
(sim.junos.device_state.IkeSaRecord), made from the Phase-1 outcome."""

from __future__ import annotations

from sim.ike.ids import render
from sim.ike.phase1 import Phase1Done
from sim.junos.device_state import IkeSaRecord

# How `show security ike security-associations detail` names each authentication method
# ("Pre-shared-keys" is a real device's, junos-messages.md section 7).
METHOD_NAMES = {"pre-shared-keys": "Pre-shared-keys",
                "rsa-signatures": "RSA-signatures", "dsa-signatures": "DSA-signatures",
                "ecdsa-signatures-256": "ECDSA-signatures-256",
                "ecdsa-signatures-384": "ECDSA-signatures-384"}


def ike_sa_record(event: Phase1Done, *, index: int, gateway: str | None, local_address: str,
                  remote_address: str, established: str) -> IkeSaRecord:
    """`established`: the device's clock, ISO format, when Phase 1 completed."""
    statements = event.proposal.statements()
    return IkeSaRecord(
        index=index, gateway=gateway, role=event.role.value.capitalize(), state="UP",
        initiator_cookie=event.icookie.hex(), responder_cookie=event.rcookie.hex(),
        mode=event.mode.name.capitalize(), local_address=local_address,
        remote_address=remote_address,
        authentication_method=METHOD_NAMES[str(statements["authentication-method"])],
        authentication_algorithm=statements["authentication-algorithm"],
        encryption_algorithm=statements["encryption-algorithm"],
        prf=f"hmac-{statements['authentication-algorithm']}",
        dh_group=event.proposal.dh_group.value,
        lifetime_seconds=event.proposal.lifetime_seconds, established=established,
        local_id=render(event.local_id), remote_id=render(event.remote_id))
