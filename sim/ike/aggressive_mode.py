"""Aggressive Mode (exchange 4, RFC 2409 5) as an IKE SA plays it, sans I/O: one handler per
message of the three in sim.ike.phase1's docstring. Which handler runs, and the state that
follows, is decided by the transition table there; a handler only reads its message and sends
the next.
"""

from __future__ import annotations

from sim.ike.payloads import Header, KEPayload, NoncePayload, SAPayload
from sim.ike.proposals import accepted, sa_offer, select


class AggressiveModeHandlers:
    """Mixed into IkeSA (sim.ike.phase1): the handlers use its attributes and the message and
    identity pieces it is made of (sim.ike.phase1_messages, sim.ike.phase1_identity)."""

    def _aggr_send_1(self, _: None) -> None:
        sa = sa_offer(self.config.proposals)
        self._sai_b = sa.encode_body()
        self._gxi, self._nonce_i = self._new_dh_and_nonce(self.config.proposals[0].dh_group)
        id_payload = self._send_local_id()
        self._idii_b = id_payload.encode_body()
        crs = self.config.uses_certificates  # the proposal is not chosen yet
        self._send_clear([sa, KEPayload(data=self._gxi), NoncePayload(data=self._nonce_i),
                          id_payload, *self._cert_and_cr_payloads(certs=False, crs=crs),
                          *self._vendor_ids()])

    def _aggr_on_1(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.icookie = message.header.icookie
        self._sai_b = message.raw_body_of(SAPayload) or b""
        offer = message.only(SAPayload, "message 1")
        self._gxi = message.only(KEPayload, "message 1").data
        self._nonce_i = message.only(NoncePayload, "message 1").data
        self._take_crs(message)
        self._take_peer_id(message)
        self.rcookie = self._random(8)
        reply, self.proposal = select(offer, self.config.proposals)
        self._read_vendor_ids(message)
        notify = self._responder_lifetime()
        self._gxr, self._nonce_r = self._new_dh_and_nonce(self.proposal.dh_group)
        self._derive(self._gxi)
        *identity, signed = self._identity_payloads()
        self._send_clear([reply, KEPayload(data=self._gxr), NoncePayload(data=self._nonce_r),
                          *identity, *self._cert_and_cr_payloads(
                              certs=False, crs=not self._pre_shared_key), *notify, signed,
                          *self._vendor_ids(), *self._nat_d()])

    def _aggr_on_2(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.proposal = accepted(message.only(SAPayload, "message 2"),
                                 self.config.proposals)
        self.rcookie = message.header.rcookie
        self._take_responder_lifetime(message)
        self._gxr = message.only(KEPayload, "message 2").data
        self._nonce_r = message.only(NoncePayload, "message 2").data
        self._take_crs(message)
        self._derive(self._gxr)
        self._read_vendor_ids(message)
        self._read_nat_d(message)  # a NAT found here moves message 3 to port 4500
        self._take_peer_id(message)
        self._take_peer_auth(message)

    def _aggr_initiator_done(self, _: None) -> None:
        certificate = self._check_peer()
        payloads = self._identity_payloads()[1:]  # the ID went in message 1
        self._send_clear([*payloads, *self._nat_d()])
        self._done(certificate)

    def _aggr_on_3(self, datagram: bytes) -> None:
        # RFC 2409 section 5 lets the initiator send message 3 encrypted (strongSwan does);
        # then its last cipher block, not hash(g^xi | g^xr), is the IV Quick Mode builds on.
        encrypted = Header.decode(datagram).encrypted
        message = self._decrypt(datagram, "message 3") if encrypted else self._clear(datagram)
        self._read_nat_d(message)
        self._take_peer_auth(message)

    def _aggr_responder_done(self, _: None) -> None:
        self._done(self._check_peer())
