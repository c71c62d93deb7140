"""Real CRL downloads over HTTP, for `ikesim pki verify --fetch` on real files.

The simulator's pkid never comes here: it downloads from simulated servers. This is the one
place ikesim touches a real network, and only when the user asks for it.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from cryptography import x509

from pki.loaders import CRL_MAX_BYTES, LoadError, load_crl


@dataclass(frozen=True)
class FetchFailure:
    url: str
    problem: str


def fetch_crl(url: str, *, timeout: float = 10.0
              ) -> x509.CertificateRevocationList | FetchFailure:
    """Download and parse one CRL, or say in one line why not."""
    if not url.lower().startswith(("http://", "https://")):
        scheme = url.split(":", 1)[0] if ":" in url else url
        return FetchFailure(url, f"{scheme} distribution points are not fetched here, only HTTP")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            data = response.read(CRL_MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        return FetchFailure(url, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return FetchFailure(url, f"download failed ({reason})")
    try:
        return load_crl(data, source=url)
    except LoadError as exc:
        return FetchFailure(url, exc.problem)
