"""The `cas:` and `cross-certify:` sections: the CA hierarchy, checked as a whole at load (names,
issuers, loops, validities, CRL lifetimes and publishing) so that building it cannot fail.

    cas:
      Root-CA:  {subject: "CN=Root-CA", key: rsa-2048,
                 crl: {url: "http://10.0.0.9/root.crl", lifetime: 1d, extra-revoked: 150000}}
      Sales-CA: {issuer: Root-CA, subject: "CN=Sales-CA", validity: 1825d, path-length: 0}
      ms-ca:    {subject: "CN=Sales", email: certadmin@example.net, digest: sha1, key: rsa-1024,
                 crl: {url: [ldap://..., http://...], in-own-certificate: true}}

`email` puts emailAddress first in the CA's name, `digest` is the hash it signs with (sha1,
Junos's and the era's default; SHA-2 by its key otherwise), and `crl.in-own-certificate` has a
root's own certificate carry its CRL distribution points, as a Microsoft CA's does.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from pki.certs import DIGESTS
from pki.files import shown
from pki.keys import KeySpec, KeyType
from pki.names import is_email_address
from pki.scep_ca import MAX_PENDING_POLLS, ScepPolicy, ScepPolicyError
from sim.topology.durations import format_duration, parse_duration
from sim.topology.limits import (
    DAY,
    LONGEST_PERIOD,
    MAX_EXTRA_REVOKED,
    MAX_EXTRA_REVOKED_PUBLISHED,
    MAX_EXTRA_REVOKED_TOTAL,
    MAX_PATH_LENGTH,
    MAX_PUBLICATIONS,
)
from sim.topology.ocsp import read_ocsp
from sim.topology.reader import Reader, flag, integer, key_spec, subject, text, url_list
from sim.topology.specs import ServerSpec
from sim.topology.values import CaEntry
from sim.topology.yaml_lines import Located

DEFAULT_CRL_LIFETIME = 7 * DAY
SCEP_INDEX = "scep.json"  # sim.report.scep_files's index, beside a folder per SCEP CA
DEFAULT_VALIDITY_DAYS = 5 * 365
MAX_EMAIL = 128  # an emailAddress attribute's upper bound (RFC 5280's ub-emailaddress-length)


def validity_days(value: object) -> int:
    """A certificate's validity in whole days: at least one, at most a century."""
    days = int(parse_duration(value, at_most=LONGEST_PERIOD) // DAY)
    if days < 1:
        raise ValueError(f"{shown(value)} is shorter than a day (1d)")
    return days


def publish_interval(lifetime: float, configured: float | None) -> float:
    """How often a CA publishes: as configured, else a little before the current CRL's
    nextUpdate (a tenth of the lifetime, at most an hour), as CAs overlap their CRLs so that a
    client refreshing at nextUpdate finds a newer one."""
    if configured is not None:
        return configured
    return lifetime - min(lifetime / 10, 3600.0)


def _email(value: object) -> str:
    if not is_email_address(value) or len(value) > MAX_EMAIL:
        raise ValueError(f"{shown(value)} is not an e-mail address such as "
                         "certadmin@example.net")
    return value


def _digest(value: object) -> str:
    if value not in DIGESTS:
        raise ValueError(f"digest {shown(value)}: one of {', '.join(DIGESTS)}")
    return value


def _at_least_a_second(value: object) -> float:
    seconds = parse_duration(value, at_most=LONGEST_PERIOD)
    if seconds < 1:
        raise ValueError(f"{shown(value)} is shorter than a second (1s)")
    return seconds


def read_cas(r: Reader, section: Located, *, duration: float) -> dict[str, CaEntry]:
    cas: dict[str, CaEntry] = {}
    for name, entry, path in r.entries(section, "CA", "cas", {
            "subject", "issuer", "key", "crl", "validity", "path-length", "email", "digest",
            "ocsp", "scep"}):
        crl = r.mapping(entry, "crl", path)
        r.only(crl, {"url", "lifetime", "publish-interval", "extra-revoked",
                     "in-own-certificate"}, f"{path}.crl")
        issuer = entry.get("issuer")
        if issuer is not None:
            issuer = r.reference(entry, "issuer", path, section, "CA")
            if issuer == name:
                raise r.fail(entry, "issuer", f"{path}.issuer: a CA cannot issue its own "
                                              "certificate (a root has no issuer)")
        lifetime = r.convert(crl, "lifetime", f"{path}.crl", _at_least_a_second,
                             default=DEFAULT_CRL_LIFETIME)
        interval = r.convert(crl, "publish-interval", f"{path}.crl", _at_least_a_second)
        urls = r.convert(crl, "url", f"{path}.crl", url_list, default=())
        if urls and duration / publish_interval(lifetime, interval) > MAX_PUBLICATIONS:
            key = "publish-interval" if interval is not None else "lifetime"
            raise r.fail(crl, key, f"{path}.crl.{key}: {_every(lifetime, interval)} "
                                   f"publishes more than {MAX_PUBLICATIONS:,} CRLs in a "
                                   f"{format_duration(duration)} run")
        key = r.convert(entry, "key", path, key_spec, default=KeySpec(size=2048))
        cas[name] = CaEntry(
            name=name,
            subject=r.convert(entry, "subject", path, subject, default=f"CN={name}"),
            issuer=issuer,
            key=key,
            crl_urls=urls,
            crl_lifetime=lifetime,
            publish_interval=interval,
            validity_days=r.convert(entry, "validity", path, validity_days,
                                    default=DEFAULT_VALIDITY_DAYS),
            path_length=r.convert(entry, "path-length", path, integer(0, MAX_PATH_LENGTH)),
            extra_revoked=r.convert(crl, "extra-revoked", f"{path}.crl",
                                    integer(0, MAX_EXTRA_REVOKED), default=0),
            email=r.convert(entry, "email", path, _email),
            digest=r.convert(entry, "digest", path, _digest),
            cdp_on_own_certificate=r.convert(crl, "in-own-certificate", f"{path}.crl",
                                             flag, default=False),
            ocsp=read_ocsp(r, entry, path),
            scep=read_scep(r, entry, path, key),
        )
        if cas[name].cdp_on_own_certificate and (issuer is not None or not urls):
            raise r.fail(crl, "in-own-certificate",
                         f"{path}.crl.in-own-certificate: only a root CA with a crl url "
                         "carries its own CRL distribution points")
    _refuse_loops(r, section, cas)
    _refuse_padding_past_limits(r, section, cas, duration=duration)
    return cas


def _refuse_padding_past_limits(r: Reader, section: Located, cas: dict[str, CaEntry], *,
                                duration: float) -> None:
    """extra-revoked entries cost memory once and signing time at each publication: bounded
    over all CAs, since aliases make many CAs from a few lines."""
    held = published = 0
    for name, ca in cas.items():
        if not ca.extra_revoked or not ca.crl_urls:
            continue
        held += ca.extra_revoked
        interval = publish_interval(ca.crl_lifetime, ca.publish_interval)
        published += ca.extra_revoked * (int(duration / interval) + 1)
        if held > MAX_EXTRA_REVOKED_TOTAL or published > MAX_EXTRA_REVOKED_PUBLISHED:
            limit = (f"{MAX_EXTRA_REVOKED_TOTAL:,} extra-revoked entries over all CAs"
                     if held > MAX_EXTRA_REVOKED_TOTAL else
                     f"{MAX_EXTRA_REVOKED_PUBLISHED:,} extra-revoked entries published in a run "
                     "(entries times the CRLs a CA publishes)")
            raise r.fail(section[name]["crl"], "extra-revoked",
                         f"cas.{name}.crl.extra-revoked: more than {limit}")


def _every(lifetime: float, interval: float | None) -> str:
    return f"every {format_duration(publish_interval(lifetime, interval))}"


def _refuse_loops(r: Reader, section: Located, cas: dict[str, CaEntry]) -> None:
    """Issuers must lead to a root: A issued by B issued by A has none."""
    done: set[str] = set()
    for name in cas:
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in done:
            if current in chain:
                loop = chain[chain.index(current):] + [current]
                first = loop[0]
                raise r.fail(section[first], "issuer", f"cas.{first}.issuer: CA issuers form "
                                                       f"a loop: {' -> '.join(loop)}")
            chain.append(current)
            current = cas[current].issuer
        done.update(chain)


def read_cross_certify(r: Reader, root: Located, cas: dict[str, CaEntry]
                       ) -> tuple[tuple[str, str], ...]:
    """`cross-certify: [{issuer: Root-A, subject: Root-B}, ...]` (the guide's Figure 3)."""
    pairs: list[tuple[str, str]] = []
    for item in r.items(root, "cross-certify", ""):
        if not isinstance(item, Located):
            raise r.fail(root, "cross-certify", "cross-certify: entries are mappings")
        r.only(item, {"issuer", "subject"}, "cross-certify[]")
        issuer = r.reference(item, "issuer", "cross-certify[]", cas, "CA")
        subject_ = r.reference(item, "subject", "cross-certify[]", cas, "CA")
        if issuer == subject_ or (issuer, subject_) in pairs:
            raise r.fail(item, None, f"cross-certify[]: {issuer} -> {subject_} is not a new "
                                     "pair of two CAs")
        pairs.append((issuer, subject_))
    return tuple(pairs)



# --- scep: a CA's SCEP service --------------------------------------------------------------

def _scep_url(value: object) -> str:
    """An http URL with a host and a path, no query (SCEP adds ?operation=...)."""
    if not isinstance(value, str):
        raise ValueError(f"{shown(value)} is not one URL")
    (url,) = url_list([value])
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.query or parts.fragment:
        raise ValueError(f"{shown(url)} is not an http URL without a query, such as "
                         "http://10.157.88.230:8080/scep/Root/")
    return url


def _challenge_password(value: object) -> str:
    # The guide's own example is `challenge-password 123`: YAML reads that as a number.
    password = str(value) if isinstance(value, int) and not isinstance(value, bool) \
        else text(value)
    if not password or len(password) > 255 or not password.isprintable():
        raise ValueError(f"{shown(value)}: 1 to 255 printable characters")
    return password


def read_scep(r: Reader, entry: Located, path: str, key: KeySpec) -> ScepPolicy | None:
    """`scep: {url: ..., challenge-password: ..., pending-polls: N, validity: 365d}`: the CA
    answers SCEP at `url` (a Microsoft-style CA: RSA only, as the guide says)."""
    if entry.get("scep") is None:
        return None
    scep = r.mapping(entry, "scep", path)
    where = f"{path}.scep"
    r.only(scep, {"url", "challenge-password", "pending-polls", "validity"}, where)
    if key.type is not KeyType.RSA:
        raise r.fail(entry, "scep", f"{where}: SCEP needs an RSA CA key (key: rsa-2048)")
    if path == f"cas.{SCEP_INDEX}":
        raise r.fail(entry, "scep", f"{where}: the name {SCEP_INDEX} is taken in the run "
                                    "folder (pki/cas/scep/); rename the CA")
    validity = r.convert(scep, "validity", where, validity_days)
    try:
        return ScepPolicy(
            url=r.convert(scep, "url", where, _scep_url, required=True),
            challenge_password=r.convert(scep, "challenge-password", where,
                                         _challenge_password),
            pending_polls=r.convert(scep, "pending-polls", where,
                                    integer(0, MAX_PENDING_POLLS), default=0),
            validity=None if validity is None else dt.timedelta(days=validity),
        )
    except ScepPolicyError as exc:
        raise r.fail(scep, None, f"{where}: {exc}") from None


def check_scep_servers(r: Reader, section: Located, cas: dict[str, CaEntry],
                       servers: dict[str, ServerSpec]) -> None:
    """Each SCEP URL's host is a server of the topology, and no two CAs share a URL."""
    hosts = {spec.address: name for name, spec in servers.items()}
    hosts.update({host.lower(): name for name, spec in servers.items()
                  for host in spec.hostnames})
    seen: dict[str, str] = {}
    for name, ca in cas.items():
        if ca.scep is None:
            continue
        where = section[name]["scep"]
        host = (urlsplit(ca.scep.url).hostname or "").lower()
        if host not in hosts:
            raise r.fail(where, "url", f"cas.{name}.scep.url: host {shown(host)} is not a "
                                       "server of this topology (servers:)")
        if ca.scep.url in seen:
            raise r.fail(where, "url", f"cas.{name}.scep.url: {seen[ca.scep.url]} already "
                                       "answers SCEP there")
        seen[ca.scep.url] = name
