"""What a live peer answers on its control socket (sim.live.control): Junos operational mode
on the device as it is now.

Each request is answered from a fresh DeviceState of the running device (Device.snapshot: the
SAs kmd holds, their lifetimes counted to this moment on the device's clock, pkid's store and
CRLs, the logs so far), by the same sim.junos.ops code that answers on a finished run. Per
command:

- `show ...`: answered.
- `clear security ike security-associations [PEER]` and `clear security ipsec
  security-associations [index N]`: act on the live kmd, as on an SRX: the SAs the command
  selects on the snapshot are deleted by kmd, which sends the DELETE to the real peer and logs
  the lines it logs for any other deletion (reason "cleared").
- anything else (`request security pki ...`, `clear security pki ...`): refused with one
  `error:` line. They change pkid's store and write files (or, for `verify`, download CRLs
  through the run folder's servers), which the offline code does on a DeviceState and a live
  pkid does not take yet: turning such an outcome back into the running pkid would be a second
  code path. Once the peer has stopped, `ikesim cli` runs them on its run folder.
"""

from __future__ import annotations

from sim.junos.device_state import DeviceState
from sim.junos.ops import ParseError, command_key, complete, execute
from sim.live.control import ControlAnswer, ControlRequest
from sim.world.device import Device
from sim.world.sa_lifecycle import EndReason

LIVE_CLEARS = ("clear ike sa", "clear ipsec sa")
REFUSED = ("error: a live ikesim peer takes show commands, and clear security ike|ipsec "
           "security-associations; stop the peer, then run this with ikesim cli on its run folder")


class LiveAnswers:
    """The answerer of one live device's control socket."""

    def __init__(self, device: Device) -> None:
        self.device = device

    def __call__(self, request: ControlRequest) -> ControlAnswer:
        if request.device != self.device.name:
            # Names only, never a path: the request's device is compared, not looked up.
            return ControlAnswer(refused=f"no device {request.device!r:.64} in this live "
                                         f"run (the ikesim peer is {self.device.name})")
        state = self.device.snapshot()
        if request.op == "complete":
            return ControlAnswer(output=complete(request.line, state))
        try:
            key = command_key(request.line)
            if key.startswith("show "):
                outcome = execute(state, request.line)
            elif key in LIVE_CLEARS:
                outcome = execute(state, request.line)
                if not outcome.error:
                    self._clear(state, outcome.state)
            else:
                return ControlAnswer(output=REFUSED, error=True)
        except ParseError as exc:
            return ControlAnswer(syntax=str(exc))
        return ControlAnswer(output=outcome.output, error=outcome.error)

    def _clear(self, before: DeviceState, after: DeviceState) -> None:
        """kmd deletes the SAs the command removed from the snapshot (the same selection as
        on a finished run: sim.junos.ops_clear_sa), telling the peer."""
        life = self.device.kmd.life
        kept = {(sa.initiator_cookie, sa.responder_cookie) for sa in after.ike_sas}
        cleared = {(sa.initiator_cookie, sa.responder_cookie) for sa in before.ike_sas} - kept
        for entry in life.all_established():
            record = entry.record
            if record is not None and \
                    (record.initiator_cookie, record.responder_cookie) in cleared:
                life.delete_ike(entry, EndReason.CLEARED)
        spis = {sa.inbound_spi for sa in before.ipsec_sas} - \
            {sa.inbound_spi for sa in after.ipsec_sas}
        for qm in self.device.kmd.quick.live():
            if qm.record is not None and qm.record.inbound_spi in spis:
                life.delete_ipsec(qm, EndReason.CLEARED)
