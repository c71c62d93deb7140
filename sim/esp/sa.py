"""One IPsec SA pair's ESP state: the outbound sequence number and IVs, the inbound anti-replay
window, and the counters `show security ipsec statistics` prints for the pair.

Encrypted and decrypted bytes count the inner packets (what the tunnel carried), not the ESP
overhead; every refused packet counts once, under the first check it failed, in RFC 4303's
order: header, anti-replay, ICV, decryption, trailer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields

from sim.esp.packet import (
    NEXT_HEADER_IPV4,
    BadHeader,
    BadTrailer,
    DecryptionFailure,
    EspError,
    EspSuite,
    IcvFailure,
    decrypt,
    header,
    seal,
    verify,
)
from sim.esp.replay import ReplayWindow

__all__ = ["EspCounters", "EspStatistics", "Inbound", "Outbound", "ReplayError",
           "SequenceExhausted", "WrongSpi"]

LAST_SEQUENCE = 0xFFFFFFFF  # no extended sequence numbers (IKEv1 does not negotiate them)


class ReplayError(EspError):
    """A sequence number already received, or older than the window ("Replay errors")."""


class WrongSpi(EspError):
    """A packet for another SA was handed to this one (the driver's mistake, not the peer's)."""


class SequenceExhausted(RuntimeError):
    """2^32 - 1 packets sent: the SA must be rekeyed before it sends another (RFC 4303 3.3.3)."""


@dataclass(frozen=True, kw_only=True)
class EspStatistics:
    """The ESP counters of one SA pair at one moment, as `show security ipsec statistics`
    prints them (IpsecSaRecord carries them too, and results.json)."""

    encrypted_bytes: int = 0
    encrypted_packets: int = 0
    decrypted_bytes: int = 0
    decrypted_packets: int = 0
    esp_authentication_failures: int = 0
    esp_decryption_failures: int = 0
    replay_errors: int = 0
    bad_headers: int = 0
    bad_trailers: int = 0

    def __post_init__(self) -> None:
        for f in fields(EspStatistics):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{f.name} {value!r}: a count (a whole number >= 0)")

    def counters(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(EspStatistics)}


class EspCounters:
    """The live counters of one SA pair, shared by its two directions."""

    def __init__(self) -> None:
        self._values = EspStatistics().counters()

    def count(self, name: str, amount: int = 1) -> None:
        if name not in self._values:
            raise KeyError(name)
        self._values[name] += amount

    def statistics(self) -> EspStatistics:
        return EspStatistics(**self._values)


_COUNTER_OF = {BadHeader: "bad_headers", ReplayError: "replay_errors",
               IcvFailure: "esp_authentication_failures",
               DecryptionFailure: "esp_decryption_failures", BadTrailer: "bad_trailers"}


class Outbound:
    """Sends on the peer's SPI: sequence numbers from 1, a fresh IV per packet from `rng` (the
    SA's seeded randomness, so a run repeats byte for byte)."""

    def __init__(self, suite: EspSuite, *, spi: int, rng: random.Random,
                 counters: EspCounters) -> None:
        self.suite, self.spi, self._rng, self.counters = suite, spi, rng, counters
        self.seq = 0

    def encapsulate(self, inner: bytes, next_header: int = NEXT_HEADER_IPV4) -> bytes:
        if self.seq >= LAST_SEQUENCE:
            raise SequenceExhausted(f"SPI {self.spi:08x}: sequence numbers exhausted")
        packet = seal(self.suite, spi=self.spi, seq=self.seq + 1,
                      iv=self._rng.randbytes(self.suite.block_size), inner=inner,
                      next_header=next_header)
        self.seq += 1
        self.counters.count("encrypted_packets")
        self.counters.count("encrypted_bytes", len(inner))
        return packet


class Inbound:
    """Receives on our SPI. `anti_replay` False is the VPN's `no-anti-replay`."""

    def __init__(self, suite: EspSuite, *, spi: int, counters: EspCounters,
                 anti_replay: bool = True) -> None:
        self.suite, self.spi, self.counters = suite, spi, counters
        self.window = ReplayWindow() if anti_replay else None

    def decapsulate(self, packet: bytes) -> tuple[int, bytes]:
        """(next header, inner packet); an EspError (counted) when the packet is refused."""
        try:
            return self._open(packet)
        except EspError as exc:
            name = next((n for cls, n in _COUNTER_OF.items() if isinstance(exc, cls)), None)
            if name is not None:
                self.counters.count(name)
            raise

    def _open(self, packet: bytes) -> tuple[int, bytes]:
        spi, seq = header(packet)
        if spi != self.spi:
            raise WrongSpi(f"SPI {spi:08x} is not {self.spi:08x}")
        if self.window is not None and not self.window.acceptable(seq):
            raise ReplayError(f"sequence number {seq} replayed or older than the window")
        verify(self.suite, packet)
        if self.window is not None:  # only an authentic packet moves the window
            self.window.accept(seq)
        next_header, inner = decrypt(self.suite, packet)
        self.counters.count("decrypted_packets")
        self.counters.count("decrypted_bytes", len(inner))
        return next_header, inner
