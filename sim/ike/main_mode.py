"""Main Mode (exchange 2, RFC 2409 5) as an IKE SA plays it, sans I/O: one handler per message
of the six in sim.ike.phase1's docstring. Which handler runs, and the state that follows, is
decided by the transition table there; a handler only reads its message and sends the next.
"""

from __future__ import annotations

from sim.ike.payloads import KEPayload, NoncePayload, NotificationPayload, NotifyType, SAPayload
from sim.ike.proposals import accepted, sa_offer, select


class MainModeHandlers:
    """Mixed into IkeSA (sim.ike.phase1): the handlers use its attributes and the message and
    identity pieces it is made of (sim.ike.phase1_messages, sim.ike.phase1_identity)."""

    def _main_send_1(self, _: None) -> None:
        sa = sa_offer(self.config.proposals)
        self._sai_b = sa.encode_body()
        self._send_clear([sa, *self._vendor_ids()])

    def _main_on_1(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.icookie = message.header.icookie
        self._sai_b = message.raw_body_of(SAPayload) or b""
        offer = message.only(SAPayload, "message 1")
        self.rcookie = self._random(8)
        reply, self.proposal = select(offer, self.config.proposals)
        self._read_vendor_ids(message)
        self._send_clear([reply, *self._responder_lifetime(), *self._vendor_ids()])

    def _main_on_2(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.proposal = accepted(message.only(SAPayload, "message 2"),
                                 self.config.proposals)
        self.rcookie = message.header.rcookie
        self._read_vendor_ids(message)
        self._take_responder_lifetime(message)
        self._gxi, self._nonce_i = self._new_dh_and_nonce(self.proposal.dh_group)
        self._send_clear([KEPayload(data=self._gxi), NoncePayload(data=self._nonce_i),
                          *self._cert_and_cr_payloads(
                              certs=False, crs=self._sends_crs and self.config.cr_message == 3),
                          *self._nat_d()])

    def _main_on_3(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        peer_ke = message.only(KEPayload, "message 3").data
        self._nonce_i = message.only(NoncePayload, "message 3").data
        self._take_crs(message)
        self._gxi = peer_ke
        self._gxr, self._nonce_r = self._new_dh_and_nonce(self.proposal.dh_group)
        self._derive(peer_ke)
        self._read_nat_d(message)
        self._send_clear([KEPayload(data=self._gxr), NoncePayload(data=self._nonce_r),
                          *self._cert_and_cr_payloads(certs=False,
                                                      crs=not self._pre_shared_key),
                          *self._nat_d()])

    def _main_on_4(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self._gxr = message.only(KEPayload, "message 4").data
        self._nonce_r = message.only(NoncePayload, "message 4").data
        self._take_crs(message)
        self._derive(self._gxr)
        self._read_nat_d(message)  # a NAT found here moves message 5 to port 4500
        self._send_encrypted(self._identity_payloads())

    def _main_on_5(self, datagram: bytes) -> None:
        message = self._decrypt(datagram)
        # CR payloads may come with the identity too (RFC 2409 5.1 allows them in any
        # message after the SA): they choose the chain we send in message 6, as in message 3.
        self._take_crs(message)
        self._take_peer_id(message)
        self._initial_contact = any(
            n.notify_type == NotifyType.INITIAL_CONTACT and n.spi == self.icookie + self.rcookie
            for n in message.all(NotificationPayload))
        self._take_peer_auth(message)

    def _main_on_6(self, datagram: bytes) -> None:
        message = self._decrypt(datagram)
        self._take_peer_id(message)
        self._take_peer_auth(message)

    def _main_initiator_done(self, _: None) -> None:
        self._done(self._check_peer())

    def _main_responder_done(self, _: None) -> None:
        certificate = self._check_peer()
        self._send_encrypted(self._identity_payloads())
        self._done(certificate)
