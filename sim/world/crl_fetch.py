"""Real CRL downloads over HTTP, for `ikesim pki verify --fetch` on real files.

The simulator's pkid never comes here: it downloads from simulated servers. This is the one
place ikesim touches a real network, and only when the user asks for it. The URL comes from a
certificate and the server is anyone's: only http and https are fetched (redirects included),
at most the guide's 5 MB are read, and the whole download has a deadline, so a server that
sends a byte at a time cannot hold the command.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from cryptography import x509

from pki.loaders import CRL_MAX_BYTES, LoadError, load_crl

_SCHEMES = ("http://", "https://")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchFailure:
    url: str
    problem: str


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another http or https URL (urllib would also follow ftp)."""

    def redirect_request(self, req: urllib.request.Request, fp: object, code: int, msg: str,
                         headers: object, newurl: str) -> urllib.request.Request | None:
        if not newurl.lower().startswith(_SCHEMES):
            raise urllib.error.URLError(f"redirected to a non-HTTP URL ({newurl[:80]})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects())


def fetch_crl(url: str, *, timeout: float = 10.0, deadline: float = 60.0
              ) -> x509.CertificateRevocationList | FetchFailure:
    """Download and parse one CRL, or say in one line why not. `timeout` bounds each network
    operation, `deadline` the whole download (seconds): connecting, redirects and headers
    included, since the download runs in a thread the command stops waiting for."""
    if not url.lower().startswith(_SCHEMES):
        scheme = url.split(":", 1)[0] if ":" in url else url
        return FetchFailure(url, f"{scheme} distribution points are not fetched here, only HTTP")
    give_up = time.monotonic() + deadline
    outcome: list[bytes | FetchFailure] = []
    worker = threading.Thread(target=lambda: outcome.append(_download(url, timeout, give_up)),
                              daemon=True)  # a server that never answers cannot hold the exit
    worker.start()
    worker.join(deadline)
    if not outcome:
        return FetchFailure(url, f"download took more than {deadline:g} s")
    got = outcome[0]
    if isinstance(got, FetchFailure):
        return got
    try:
        return load_crl(got, source=url)
    except LoadError as exc:
        return FetchFailure(url, exc.problem)


def _download(url: str, timeout: float, give_up: float) -> bytes | FetchFailure:
    """The body, at most the guide's 5 MB and one byte more (so load_crl refuses it)."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            chunks, size = [], 0
            while size <= CRL_MAX_BYTES:
                if time.monotonic() > give_up:
                    break  # fetch_crl has answered already: stop reading
                # read1: what has arrived, so a slow server meets the deadline between reads
                chunk = response.read1(min(_CHUNK, CRL_MAX_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except urllib.error.HTTPError as exc:
        return FetchFailure(url, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return FetchFailure(url, f"download failed ({reason})")
    return b"".join(chunks)
