"""What online enrollment leaves: a record of each enrollment (results.json, the certificates
plot) and the SCEP messages of the run folder's `scep/`, and what an enroll-local event asks."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from pathlib import Path

from pki.csr import RequestParams
from pki.files import inside, write_file
from sim.topology.enroll_events import RSA_SIZES


class Kind(enum.StrEnum):
    INITIAL = "initial"  # enroll-local
    RE_ENROLLMENT = "re-enrollment"  # auto-re-enrollment
    CA_CERTIFICATE = "ca-certificate"  # enroll-ca


class Outcome(enum.StrEnum):
    ISSUED = "issued"  # a local certificate, installed
    LOADED = "loaded"  # a CA certificate, loaded into its CA profile
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class EnrollmentRecord:
    """One enrollment, for results.json and the certificates plot."""

    device: str
    kind: Kind
    ca_profile: str
    certificate_id: str | None  # None for a CA certificate
    started: float
    finished: float
    polls: int
    outcome: Outcome
    serial: str | None = None
    reason: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    trigger: dt.datetime | None = None  # the next re-enrollment trigger of what was issued

    def __post_init__(self) -> None:
        if not isinstance(self.kind, Kind) or not isinstance(self.outcome, Outcome):
            raise TypeError("kind and outcome are a Kind and an Outcome")
        if (self.certificate_id is None) != (self.kind is Kind.CA_CERTIFICATE):
            raise ValueError("a certificate-id is what a local certificate enrollment names")
        if self.finished < self.started or self.polls < 0:
            raise ValueError("an enrollment finishes after it starts, with polls >= 0")

    def to_json(self, start: dt.datetime) -> dict:
        def seconds(when: dt.datetime | None) -> float | None:
            return None if when is None else round((when - start).total_seconds(), 3)
        return {"device": self.device, "kind": self.kind.value, "ca_profile": self.ca_profile,
                "certificate_id": self.certificate_id, "started_s": round(self.started, 6),
                "finished_s": round(self.finished, 6), "polls": self.polls,
                "outcome": self.outcome.value, "serial": self.serial, "reason": self.reason,
                "not_before_s": seconds(self.not_before), "not_after_s": seconds(self.not_after),
                "trigger_s": seconds(self.trigger)}


class ScepMessageFiles:
    """The run folder's `scep/`: each SCEP message of the run as it is exchanged."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def keep(self, device: str, kind: str, der: bytes, *, suffix: str = "p7") -> None:
        self.count += 1
        folder = inside(self.root, "scep")
        folder.mkdir(exist_ok=True)
        write_file(inside(folder, f"{self.count:04d}-{device}-{kind}.{suffix}"), der)


@dataclass(frozen=True, kw_only=True)
class LocalRequest:
    """What enroll-local asks for: the certificate request's fields and the password."""

    certificate_id: str
    ca_profile: str
    challenge_password: str = field(repr=False)
    params: RequestParams
    key_size: int = 1024  # of the RSA key pair generated when the certificate-id has none

    def __post_init__(self) -> None:
        if self.params.certificate_id != self.certificate_id:
            raise ValueError("the request's certificate-id is the enrollment's")
        if self.key_size not in RSA_SIZES:
            raise ValueError(f"key-size {self.key_size}: one of {RSA_SIZES}")
