"""The network a device has in `ikesim cli`: the run folder's CA server.

A run keeps its SCEP CAs and their last CRLs (sim.report.scep_files); `ikesim cli` answers the
device's HTTP requests with them, at the device's clock (no time passes in the cli):

- a request to a CA's enrollment URL (`?operation=GetCACert`, `PKIOperation`, ...) is answered
  by that CA's SCEP service (pki.scep_ca);
- a GET of a URL a CA published its CRL at returns that CRL (what pkid downloads for `request
  security pki ... verify`);
- another path on one of those servers is HTTP 404; any other address gets no answer
  (NoAnswer), as a device's request to a host that does not exist times out.

The SCEP messages a command exchanged are kept under the run folder's `scep/`, DER, one file
each: `NNNN-<device>-<type>.p7`, numbered on from the files already there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pki.enrollment import HttpRequest, HttpResponse
from pki.escape import escape
from pki.files import check_name, inside, write_file
from pki.scep_ca import ScepCa
from sim.junos.ops_outcome import NoAnswer

__all__ = ["RunFolderServers", "keep_messages"]

CRL_TYPE = "application/pkix-crl"
_NUMBERED = re.compile(r"([0-9]{4,})-.*\.p7")
_TYPE = re.compile(r"[A-Za-z]{1,32}")


def _base(url: str) -> str:
    return urlsplit(url)._replace(query="", fragment="").geturl()


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


class RunFolderServers:
    """A transport for sim.junos.ops' Context: HttpRequest in, HttpResponse out. `load()`
    gives the CAs (by enrollment URL) and the CRLs (by URL); it is called at the first
    request, so that a session that downloads nothing never reads them, and a run folder
    whose files are refused answers that request with the one-line reason."""

    def __init__(self, load: Callable[[], tuple[Mapping[str, ScepCa], Mapping[str, bytes]]],
                 *, now: dt.datetime) -> None:
        self._load = load
        self.now = now
        self.cas: dict[str, ScepCa] | None = None
        self.crls: dict[str, bytes] = {}
        self.hosts: set[str] = set()

    def _servers(self) -> dict[str, ScepCa]:
        if self.cas is None:
            try:
                cas, crls = self._load()
            except (OSError, ValueError) as exc:  # LoadError, FileRefused: one line
                raise NoAnswer(str(exc)) from None
            self.cas, self.crls = dict(cas), dict(crls)
            self.hosts = {_host(url) for url in (*self.cas, *self.crls)}
        return self.cas

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not isinstance(request, HttpRequest):
            raise TypeError(f"expected an HttpRequest, not {type(request).__name__}")
        cas = self._servers()
        ca = cas.get(_base(request.url))
        if ca is not None:
            return ca.handle(request, now=self.now)
        if request.method == "GET" and request.url in self.crls:
            return HttpResponse(status=200, content_type=CRL_TYPE, body=self.crls[request.url])
        if _host(request.url) in self.hosts:
            return HttpResponse(status=404, content_type="text/plain",
                                body=b"Not Found\n")
        raise NoAnswer(f"no server answers at {escape(urlsplit(request.url).netloc)[:80]}")


def keep_messages(run_dir: Path, device: str, messages: tuple[tuple[str, bytes], ...]
                  ) -> list[Path]:
    """Write `messages` under run_dir/scep/ (created if need be), numbered after the last
    file there; the paths written."""
    if not messages:
        return []
    check_name("device", device)
    folder = inside(run_dir, "scep")
    folder.mkdir(exist_ok=True)
    numbers = [int(found[1]) for path in folder.iterdir()
               if (found := _NUMBERED.fullmatch(path.name))]
    number = max(numbers, default=0)
    written = []
    for kind, data in messages:
        if not _TYPE.fullmatch(kind):
            raise ValueError(f"SCEP message type {kind!r} is not a word")
        number += 1
        path = inside(folder, f"{number:04d}-{device}-{kind}.p7")
        write_file(path, data)
        written.append(path)
    return written
