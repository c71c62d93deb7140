"""What the traffic of a run did, as results.json records it: each ping (transmitted, received,
round-trip times, as `ping` sums up), each flow (sent, received), and per device the packets
that could not go or were refused before reaching an SA's counters."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PingRecord:
    device: str
    source: str
    destination: str
    at: float
    count: int
    size: int
    ident: int
    transmitted: int = 0
    received: int = 0
    sent_at: dict[int, float] = field(default_factory=dict)  # echo sequence -> time
    rtts: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        loss = 100.0 * (self.transmitted - self.received) / self.transmitted \
            if self.transmitted else 0.0
        rtt = ({"min_ms": round(min(self.rtts) * 1000, 3),
                "avg_ms": round(sum(self.rtts) / len(self.rtts) * 1000, 3),
                "max_ms": round(max(self.rtts) * 1000, 3)} if self.rtts else None)
        return {"device": self.device, "source": self.source,
                "destination": self.destination, "at_s": round(self.at, 6),
                "count": self.count, "size": self.size, "transmitted": self.transmitted,
                "received": self.received, "loss_percent": round(loss, 1), "rtt": rtt}


@dataclass
class FlowRecord:
    device: str
    source: str
    destination: str
    at: float
    rate: float
    duration: float
    size: int
    ident: int
    sent: int = 0
    received: int = 0

    def to_json(self) -> dict:
        return {"device": self.device, "source": self.source,
                "destination": self.destination, "at_s": round(self.at, 6),
                "rate_pps": self.rate, "duration_s": self.duration, "size": self.size,
                "sent": self.sent, "received": self.received}


@dataclass
class DeviceDrops:
    """Packets dropped outside any SA's counters: `no_sa` (no IPsec SA for the traffic yet; on
    Junos the packet also starts the negotiation), `unknown_spi` (ESP for an SPI the device
    does not hold), `not_allowed` (decrypted, but outside the SA's proxy IDs or not a packet
    the tunnel carries), `device_down` (sent by a host behind the device while it was down:
    nothing took them)."""

    no_sa: int = 0
    unknown_spi: int = 0
    not_allowed: int = 0
    device_down: int = 0


class TrafficResults:
    """Shared by every device's traffic engine. Idents (the echo identifier, the flow's source
    port) tell pings and flows apart; after 65,535 of them they wrap, and a reply finds the
    newest ping from its source with its ident."""

    def __init__(self) -> None:
        self.pings: list[PingRecord] = []
        self.flows: list[FlowRecord] = []
        self.drops: dict[str, DeviceDrops] = {}
        self._pings: dict[tuple[str, int], PingRecord] = {}
        self._flows: dict[tuple[str, int], FlowRecord] = {}

    def next_ident(self) -> int:
        return (len(self.pings) + len(self.flows)) % 0xFFFF + 1

    def add_ping(self, record: PingRecord) -> None:
        self.pings.append(record)
        self._pings[(record.source, record.ident)] = record

    def add_flow(self, record: FlowRecord) -> None:
        self.flows.append(record)
        self._flows[(record.source, record.ident)] = record

    def drops_of(self, device: str) -> DeviceDrops:
        return self.drops.setdefault(device, DeviceDrops())

    def ping_of(self, source: str, ident: int) -> PingRecord | None:
        return self._pings.get((source, ident))

    def flow_of(self, source: str, ident: int) -> FlowRecord | None:
        return self._flows.get((source, ident))
