"""CRL downloads for `request security pki ca-certificate verify` and `local-certificate
verify` in `ikesim cli`: what sim/world/pkid.py does in a run, without simulated time.

pki.daemon answers a verification with FetchCrl when a CA profile's CRL is missing or due; with
a transport in the Context each URL is tried in pkid's order (the certificate's CDP, then the
CA profile's URL) by an HTTP GET, the CRL kept when its CA signed it, and the verification
asked again, until there is a verdict. pkid's log gets the lines a run writes (traceoptions
flag online-crl-check, into the pkid log). The downloaded CRLs and their sources go into the
state, so `show security pki crl` lists them after a verify, as on the device.

Without a transport nothing is downloaded: the FetchCrl comes back and the command keeps its
"CRL verification in progress" answer.
"""

from __future__ import annotations

import dataclasses

from cryptography import x509

from pki.daemon import Event, FetchCrl, PkiDaemon, Verdict
from pki.enrollment import HttpRequest
from pki.loaders import LoadError, load_crl
from pki.profiles import PkiTraceFlag
from sim.junos.device_state import CrlSource, DeviceState
from sim.junos.ops_outcome import Context, NoAnswer, logged

__all__ = ["verify_downloading"]


def _traced(state: DeviceState, events: tuple[Event, ...] | list[Event]) -> list[str]:
    """The events pkid's traceoptions write to its log (a trace file of its own is not kept
    by `ikesim cli`)."""
    trace = state.config.pki.traceoptions
    if trace is None or trace.file.name is not None:
        return []
    return [e.text for e in events if trace.traces(PkiTraceFlag(e.flag))]


def _lookup_order(need: FetchCrl) -> str:
    # The words sim/world/pkid.py traces before a download.
    if not need.urls:
        return (f"CRL for CA profile {need.ca_profile} is not loaded; no CDP in the "
                "certificate and no URL in the CA profile")
    return (f"CRL for CA profile {need.ca_profile} is not loaded or due; trying "
            f"{', then '.join(need.urls)}")


def _download(daemon: PkiDaemon, need: FetchCrl, ctx: Context, state: DeviceState,
              events: list[Event]) -> bool:
    """Try each URL until a CRL its CA signed is kept; say what happened in `events`."""
    profile = need.ca_profile
    for url in need.urls:
        events.append(Event("online-crl-check",
                            f"Start downloading CRL for CA profile {profile} from {url}"))
        try:
            response = ctx.send(HttpRequest(method="GET", url=url))
            if response.status != 200:
                raise NoAnswer(f"HTTP {response.status}")
            crl = load_crl(response.body, source=url)
        except (NoAnswer, LoadError, ValueError) as failure:
            reason = failure.problem if isinstance(failure, LoadError) else str(failure)
            events.append(Event("online-crl-check", f"CRL download for CA profile {profile} "
                                                    f"from {url} failed: {reason}"))
            continue
        before = daemon.crls.get(profile)
        events.extend(daemon.crl_downloaded(profile, crl, url=url, at=state.now))
        if daemon.crls.get(profile) is not before:
            return True
    return False


def _kept(state: DeviceState, daemon: PkiDaemon, profiles: set[str]) -> DeviceState:
    """`state` with the CRLs downloaded for `profiles`, and any dynamic CA profile created."""
    store = state.store
    sources = dict(state.crl_sources)
    dynamic = dict(state.dynamic_profiles)
    for name, parent in daemon.parents.items():
        if name not in dynamic:
            dynamic[name] = parent
            store = store.add_ca_certificate(name, daemon.dynamic[name])
    for profile in sorted(profiles):
        cached = daemon.crls[profile]
        if profile in store.crls:
            store = store.clear_crl(profile)
        store = store.add_crl(profile, cached.crl)
        sources[profile] = CrlSource(
            url=cached.url, loaded_at=cached.loaded_at.isoformat(),
            refresh_at=cached.refresh_at.isoformat() if cached.refresh_at else None)
    return dataclasses.replace(state, store=store, crl_sources=sources,
                               dynamic_profiles=dynamic)


def verify_downloading(state: DeviceState, daemon: PkiDaemon, cert: x509.Certificate,
                       ctx: Context) -> tuple[Verdict | FetchCrl, DeviceState]:
    """pkid's verdict on `cert`, downloading the CRLs it needs through ctx's transport, and
    the state after (with the CRLs and pkid's log lines); without a transport, the first
    FetchCrl and the state unchanged."""
    answer = daemon.verify(cert, (), at=state.now)
    if ctx.transport is None or isinstance(answer, Verdict):
        return answer, state
    events: list[Event] = []
    fetched: frozenset[str] = frozenset()
    unavailable: frozenset[str] = frozenset()
    # Each pass settles one CA profile's CRL (fetched or unavailable): it ends.
    while isinstance(answer, FetchCrl):
        events.extend(answer.events)
        events.append(Event("online-crl-check", _lookup_order(answer)))
        if _download(daemon, answer, ctx, state, events):
            fetched |= {answer.ca_profile}
        else:
            unavailable |= {answer.ca_profile}
        answer = daemon.verify(cert, (), at=state.now, fetched=fetched, unavailable=unavailable)
    events.extend(answer.events)
    after = _kept(state, daemon, set(fetched))
    lines = _traced(state, events)
    if lines:
        after = dataclasses.replace(after, pkid_log=logged(state, after.pkid_log, lines))
    return answer, after
