"""The pieces an IKE SA's Main and Aggressive Mode handlers build and read their messages with,
sans I/O: the ISAKMP header, messages in the clear and encrypted under the Phase-1 key (with the
key-mismatch rule of sim.ike.phase1's docstring), the DH exchange and SKEYID, vendor IDs and
NAT-D payloads (RFC 3947), and the RESPONDER-LIFETIME notify.
"""

from __future__ import annotations

from dataclasses import replace

from sim.ike import crypto
from sim.ike.exchange import Failure
from sim.ike.payloads import (
    PROTO_ISAKMP,
    ExchangeType,
    Header,
    Message,
    NotificationPayload,
    NotifyType,
    PayloadMalformed,
    VendorIDPayload,
    decode_message,
    encode_message,
)
from sim.ike.proposals import life_attributes, notified_lifetime, settle_lifetime
from sim.ike.quick_mode_wire import decrypt_body, seal


class Phase1Messages:
    """Mixed into IkeSA (sim.ike.phase1), whose attributes it uses."""

    def _header(self, *, flags: int = 0, message_id: int = 0,
                exchange: ExchangeType | None = None) -> Header:
        return Header(icookie=self.icookie, rcookie=self.rcookie, next_payload=0,
                      exchange=exchange or self.mode.value, flags=flags, message_id=message_id)

    def _send_clear(self, payloads: list) -> None:
        self._transmit(encode_message(self._header(), payloads))

    def _send_encrypted(self, payloads: list) -> None:
        data, self._iv = seal(self, 0, self._iv, payloads, exchange=self.mode.value)
        self._transmit(data)

    def _decrypt(self, datagram: bytes, what: str = "message 5/6") -> Message:
        _, body, next_iv = decrypt_body(self, self._iv, datagram, what)
        try:
            message = decode_message(datagram, body=body)
        except PayloadMalformed as exc:
            if datagram != self._last_dropped:
                raise
            # The peer sent this very message before and it failed the same way: our keys
            # differ from the peer's, and no retransmission will change that.
            reason = (f"Incorrect pre-shared key ({exc})" if self._pre_shared_key
                      else f"message does not decrypt under the negotiated keys ({exc})")
            raise Failure(exc.notify, reason, tell_peer=self._peer_waits()) from None
        self._iv = next_iv
        return message

    @staticmethod
    def _clear(datagram: bytes) -> Message:
        return decode_message(datagram)  # the encryption flag there is malformed input

    def _new_dh_and_nonce(self, group: crypto.DHGroup) -> tuple[bytes, bytes]:
        self._dh = crypto.DHPrivate(group, rng=self._rng)
        return self._dh.public, self._random(self.config.nonce_size)

    def _derive(self, peer_ke: bytes) -> None:
        gxy = self._dh.shared_secret(peer_ke)
        self.keys = crypto.derive_keys(
            hash_alg=self.proposal.authentication_algorithm,
            cipher=self.proposal.encryption_algorithm, ni_b=self._nonce_i, nr_b=self._nonce_r,
            gxy=gxy, gxi=self._gxi, gxr=self._gxr, cky_i=self.icookie, cky_r=self.rcookie,
            pre_shared_key=self.config.pre_shared_key if self._pre_shared_key else None)
        self._iv = self.keys.iv

    def _vendor_ids(self) -> list[VendorIDPayload]:
        return [VendorIDPayload(data=v) for v in self.config.vendor_ids]

    def _read_vendor_ids(self, message: Message) -> None:
        self._events.append(self.natt.read_vendor_ids(message))

    def _nat_d(self) -> list:
        """NAT-D payloads (RFC 3947), when both sides announced NAT-T."""
        return self.natt.nat_d_payloads(self.proposal.authentication_algorithm, self.icookie,
                                        self.rcookie)

    def _read_nat_d(self, message: Message) -> None:
        found = self.natt.read_nat_d(message, self.proposal.authentication_algorithm,
                                     self.icookie, self.rcookie)
        if found is not None:
            self._events.append(found)

    def _responder_lifetime(self) -> list:
        """Responder, as it chooses: keep its own lifetime if shorter than the offer and say
        so in message 2 (RESPONDER-LIFETIME), so both sides expire the SA together."""
        settled = settle_lifetime(self.proposal, self.config.proposals)
        if settled.lifetime_seconds == self.proposal.lifetime_seconds:
            return []
        self.proposal = settled
        return [NotificationPayload(notify_type=NotifyType.RESPONDER_LIFETIME,
                                    spi=self.icookie + self.rcookie,
                                    data=life_attributes(settled.lifetime_seconds))]

    def _take_responder_lifetime(self, message: Message) -> None:
        for notify in message.all(NotificationPayload):
            if notify.notify_type == NotifyType.RESPONDER_LIFETIME \
                    and notify.protocol_id == PROTO_ISAKMP:
                seconds = notified_lifetime(notify.data, self.proposal.lifetime_seconds)
                if seconds is not None:
                    self.proposal = replace(self.proposal, lifetime_seconds=seconds)
