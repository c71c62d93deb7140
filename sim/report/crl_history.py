"""Every CRL each CA published during a run, in order, with the moment it was published.

A CRL server serves the CRL its CA published last; pkid downloads whatever is current when it
asks. To check a certificate afterwards as a device saw it at some moment of the scenario
(`ikesim pki verify --at scenario+9m`), the run keeps each publication:

    pki/cas/crls/<CA>/crl-0001.pem ...   the CRLs in the order the CA published them
    pki/cas/crls.json                    the run's clock and, per CA, each CRL's publish time,
                                         thisUpdate, nextUpdate, CRL number and revoked count
    pki/cas/<CA>.crl                     the last one (what the server held at the end)

`crls/` and `crls.json` cannot clash with a CA's own files (`<CA>.pem`, `<CA>.crl`). A run can
publish many large CRLs (`extra-revoked`, short lifetimes over weeks): the history keeps them
while it stays within KEEP_MAX_FILES and KEEP_MAX_BYTES; past that, a CA's publications are
counted but not kept, except its last one, and the index says which span is missing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki.files import check_name, inside, write_file

HISTORY_FOLDER = "crls"
INDEX_FILE = "crls.json"
INDEX_FORMAT = 1
KEEP_MAX_FILES = 10_000
KEEP_MAX_BYTES = 64 * 1024 * 1024


def crl_file_name(number: int) -> str:
    """The n-th CRL a CA published (1-based)."""
    return f"crl-{number:04d}.pem"


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, kw_only=True)
class Publication:
    """One CRL as its CA published it, `at_s` seconds into the run."""
    number: int
    at_s: float
    der: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.number, int) or self.number < 1:
            raise ValueError(f"publication number {self.number!r} is not a positive integer")
        if self.at_s < 0:
            raise ValueError(f"publication time {self.at_s!r} is before the run")
        if not isinstance(self.der, bytes):
            raise TypeError("a publication's CRL is DER bytes")


@dataclass
class _CaHistory:
    kept: list[Publication] = field(default_factory=list)
    # The last publication when it is over the budget: always kept, replaced by the next.
    last_over: Publication | None = None
    published: int = 0
    dropped_from_s: float | None = None
    dropped_until_s: float | None = None


@dataclass
class CrlHistory:
    """The recorder the scenario feeds each publication to (simulation time in seconds)."""
    _cas: dict[str, _CaHistory] = field(default_factory=dict)
    _kept_files: int = 0
    _kept_bytes: int = 0

    def record(self, ca: str, *, at_s: float, der: bytes) -> None:
        history = self._cas.setdefault(ca, _CaHistory())
        history.published += 1
        publication = Publication(number=history.published, at_s=float(at_s), der=der)
        if history.last_over is not None:
            # A newer one replaces the last over-budget publication: that one is dropped.
            if history.dropped_from_s is None:
                history.dropped_from_s = history.last_over.at_s
            history.dropped_until_s = at_s
            history.last_over = None
        if (self._kept_files < KEEP_MAX_FILES
                and self._kept_bytes + len(der) <= KEEP_MAX_BYTES):
            history.kept.append(publication)
            self._kept_files += 1
            self._kept_bytes += len(der)
        else:
            history.last_over = publication

    def last(self, ca: str) -> bytes | None:
        """The DER of the CA's last published CRL, or None if it never published."""
        history = self._cas.get(ca)
        if history is None:
            return None
        return (history.last_over or history.kept[-1]).der

    def write(self, cas_folder: Path, *, start: dt.datetime, end_s: float) -> None:
        """The CRL files and crls.json under `cas_folder` (pki/cas/ of the run)."""
        index: dict[str, object] = {
            "format": INDEX_FORMAT, "start": iso(start),
            "end": iso(start + dt.timedelta(seconds=end_s)), "end_s": end_s, "cas": {}}
        for ca, history in self._cas.items():
            check_name("CA", ca)
            folder = inside(cas_folder, HISTORY_FOLDER, ca)
            folder.mkdir(parents=True, exist_ok=True)
            entries = []
            for publication in [*history.kept, *filter(None, [history.last_over])]:
                crl = x509.load_der_x509_crl(publication.der)
                name = crl_file_name(publication.number)
                write_file(inside(folder, name), crl.public_bytes(Encoding.PEM))
                entries.append(_entry(publication, crl, f"{HISTORY_FOLDER}/{ca}/{name}",
                                      start=start))
            record: dict[str, object] = {"published": history.published, "crls": entries}
            if history.dropped_from_s is not None:
                # Published but not kept: a moment in this span has no CRL on disk.
                record["not_kept"] = {"from_s": history.dropped_from_s,
                                      "until_s": history.dropped_until_s}
            index["cas"][ca] = record
        write_file(inside(cas_folder, INDEX_FILE),
                   (json.dumps(index, indent=1) + "\n").encode())


def _entry(publication: Publication, crl: x509.CertificateRevocationList, path: str, *,
           start: dt.datetime) -> dict[str, object]:
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = None
    next_update = crl.next_update_utc
    return {
        "n": publication.number,
        "file": path,
        "published": iso(start + dt.timedelta(seconds=publication.at_s)),
        "published_s": publication.at_s,
        "this_update": iso(crl.last_update_utc),
        "next_update": iso(next_update) if next_update is not None else None,
        "crl_number": number,
        "revoked": len(crl),
    }
