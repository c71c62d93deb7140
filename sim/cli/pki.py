"""`ikesim pki ...`: the PKI core on real files, with no simulation.

    ikesim pki verify CERT --ca FILE [--untrusted FILE] [--crl FILE]
                      [--at TIME | --at scenario[+OFFSET]] [--no-revocation] [--fetch]
                      [--certificate-id ID]

`--at scenario+9m` checks a certificate of a run (CERT inside its folder) on the run's clock,
with the CRLs its CAs had published by then (sim.cli.scenario_time).
    ikesim pki demo [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
from dataclasses import replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import pki
from pki.escape import escape
from pki.files import shown, write_file
from pki.hierarchy import FIGURE4_START, CAHierarchy, figure4_specs
from pki.keys import KeySpec, KeyType
from pki.loaders import (
    CRL_FILE_MAX_BYTES,
    FILE_MAX_BYTES,
    load_certificate,
    load_certificates,
    load_crl,
    read_bytes,
)
from sim.cli.errors import UsageError
from sim.cli.scenario_time import describe, is_scenario_time, scenario_moment
from sim.world.crl_fetch import FetchFailure, fetch_crl


def register(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("pki", help="PKI operations on real certificate files")
    sub = group.add_subparsers(dest="pki_command", required=True, metavar="ACTION")

    verify = sub.add_parser("verify", help="validate a certificate's path and revocation")
    verify.add_argument("cert", metavar="CERT", help="the certificate to verify (PEM/DER)")
    verify.add_argument("--ca", action="append", default=[], metavar="FILE", required=True,
                        help="trusted CA certificates (PEM/DER/PKCS#7); repeatable")
    verify.add_argument("--untrusted", action="append", default=[], metavar="FILE",
                        help="other certificates to build the path from; repeatable")
    verify.add_argument("--crl", action="append", default=[], metavar="FILE",
                        help="CRLs (PEM/DER); repeatable")
    verify.add_argument("--at", metavar="TIME",
                        help="validate at this time (ISO 8601, UTC if no zone); default now. "
                             "`scenario` (the end of the run CERT is in) or `scenario+9m` "
                             "(9 minutes into it) take the run's clock and the CRLs its CAs "
                             "had published then")
    verify.add_argument("--no-revocation", action="store_true",
                        help="skip CRL checks (revocation-check disable)")
    verify.add_argument("--fetch", action="store_true",
                        help="download missing CRLs from the certificates' HTTP CDPs")
    verify.add_argument("--certificate-id", metavar="ID",
                        help="name used in the verdict (default: the file's stem)")
    verify.set_defaults(handler=run_verify)

    demo = sub.add_parser("demo", help="build the guide's Figure 4 PKI and verify its hosts")
    demo.add_argument("--out", default="runs/pki-demo", metavar="DIR")
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=run_demo)

    from sim.cli import pki_export

    pki_export.register(sub)


# X.509 times start in 1950 (UTCTime); 9999-12-31 is RFC 5280's "no well-defined expiration
# date", and a year's margin keeps any arithmetic on the time (refresh intervals, CRL windows)
# clear of datetime's limit.
_FIRST_YEAR, _LAST_YEAR = 1950, 9998


def parse_time(text: str) -> dt.datetime:
    """An --at value as an aware UTC datetime; UsageError (one line) when it is not one."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at {shown(text)}: not an ISO 8601 time "
                         f"(e.g. 2012-09-17T22:30:00Z), nor scenario or scenario+OFFSET "
                         f"(e.g. scenario+9m: a run's clock)") from None
    try:
        when = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except OverflowError:
        when = None
    if when is None or not _FIRST_YEAR <= when.year <= _LAST_YEAR:
        raise UsageError(f"--at {shown(text)}: outside the years {_FIRST_YEAR} to {_LAST_YEAR}"
                         f" (UTC) that validation uses")
    return when


def _certificates(paths: list[str]) -> list[x509.Certificate]:
    return [cert for path in paths
            for cert in load_certificates(read_bytes(path, limit=FILE_MAX_BYTES), source=path)]


def run_verify(args: argparse.Namespace) -> int:
    moment = None
    if args.at is not None and is_scenario_time(args.at):
        moment = scenario_moment(args.at, args.cert)
        at = moment.at
    else:
        at = parse_time(args.at) if args.at is not None else dt.datetime.now(dt.UTC)
    leaf = load_certificate(read_bytes(args.cert, limit=FILE_MAX_BYTES), source=args.cert)
    anchors = _certificates(args.ca)
    pool = _certificates(args.untrusted)
    crl_paths = list(args.crl)
    if moment is not None:
        # The CRLs the run's CAs had published at that moment, unless the user chose some.
        if not crl_paths:
            crl_paths = [str(crl.path) for crl in moment.crls]
        else:
            moment = replace(moment, crls=())
    crls = [load_crl(read_bytes(path, limit=CRL_FILE_MAX_BYTES), source=path) for path in crl_paths]
    if moment is not None:
        for line in describe(moment, chosen=not args.crl):
            _say(line)
    name = args.certificate_id or Path(args.cert).stem
    return verify_and_report(name, leaf, anchors=anchors, pool=pool, crls=crls, at=at,
                             check_revocation=not args.no_revocation, fetch=args.fetch)


def verify_and_report(name: str, leaf: x509.Certificate, *, anchors, pool, crls, at,
                      check_revocation: bool, fetch: bool) -> int:
    tried: set[str] = set()
    while True:
        result = pki.validate_path(leaf, trust_anchors=anchors, intermediates=pool, crls=crls,
                                   at=at, check_revocation=check_revocation)
        if result.ok:
            _say(f"Local certificate {name} verification success")
            return 0
        needed = result.crl_needed
        if not (fetch and needed is not None):
            _say(f"Local certificate {name} verification failed: {result.message}")
            return 1
        crl = _download(needed.urls, tried)
        if crl is None:
            _say(f"Local certificate {name} verification failed: {result.message}")
            return 1
        crls = [*crls, crl]


def _say(line: str) -> None:
    # Names and URLs come from the certificates: a newline or an escape sequence in them must
    # not forge a line or reach the terminal.
    print(escape(line))


def _download(urls: tuple[str, ...], tried: set[str]) -> x509.CertificateRevocationList | None:
    """The first CRL that downloads, trying the URLs in the guide's order; each URL once."""
    for url in urls:
        if url in tried:
            continue
        tried.add(url)
        got = fetch_crl(url)
        if isinstance(got, FetchFailure):
            _say(f"CRL download from {url} failed: {got.problem}")
            continue
        _say(f"CRL downloaded from {url}")
        return got
    return None


def run_demo(args: argparse.Namespace) -> int:
    """Figure 4 with the guide's key sizes, written to disk, then verified like a user would."""
    out = Path(args.out)
    ca_key = KeySpec(type=KeyType.RSA, size=2048)
    host_key = KeySpec(type=KeyType.RSA, size=1024)
    h = CAHierarchy(figure4_specs(key=ca_key), start=FIGURE4_START, seed=args.seed)
    host_a_start = dt.datetime(2012, 9, 17, 22, 22, tzinfo=dt.UTC)
    h.issue_end_entity("Dev-CA", "Host-A", key=host_key, not_before=host_a_start,
                       subject="DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US",
                       subject_alt_names=(x509.DNSName("host-a.example.net"),
                                          x509.RFC822Name("host-a@example.net")))
    h.issue_end_entity("Sales-CA", "Host-B", key=host_key, not_before=host_a_start,
                       subject="DC=example,CN=Host-B,OU=SALES,O=PKI,L=Sunnyvale,ST=CA,C=US",
                       subject_alt_names=(x509.DNSName("host-b.example.net"),))
    at = dt.datetime(2012, 9, 19, 17, 30, tzinfo=dt.UTC)
    pem = serialization.Encoding.PEM
    cas = out / "cas"
    revoked_at = at + dt.timedelta(minutes=1)
    files = {cas / f"{ca}.pem": h.certificate(ca).public_bytes(pem) for ca in h.cas()}
    files |= {cas / f"{ca}.crl": h.crl(ca, at=at).public_bytes(pem) for ca in h.cas()}
    files |= {out / f"{host}.pem": h.certificate(host).public_bytes(pem)
              for host in ("Host-A", "Host-B")}
    h.revoke("Host-B", at=at, reason=x509.ReasonFlags.key_compromise)
    revoked_crl = out / "Sales-CA-after-revocation.crl"
    files[revoked_crl] = h.crl("Sales-CA", at=revoked_at).public_bytes(pem)
    try:
        cas.mkdir(parents=True, exist_ok=True)
        for path, data in files.items():
            write_file(path, data)  # a symlink planted in --out is replaced, not followed
    except OSError as exc:
        raise UsageError(f"--out {escape(str(out))}: cannot write the demo there "
                         f"({exc.strerror or exc})") from None

    when = (at + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    checks = [
        ("Host-A", ["Dev-CA", "Eng-CA"], ["Root-CA", "Eng-CA", "Dev-CA"], None),
        ("Host-B", ["Sales-CA"], ["Root-CA", "Sales-CA"], None),
        ("Host-B", ["Sales-CA"], ["Root-CA"], revoked_crl),
    ]
    print(f"Figure 4 PKI written to {out}/ (seed {args.seed}); verifying at {when}:\n")
    # Each check is `ikesim pki verify` as printed, parsed by this module's own subcommands.
    parser = argparse.ArgumentParser(prog="ikesim")
    register(parser.add_subparsers(dest="command", required=True))
    status = 0
    for host, pool, crl_cas, sales_crl in checks:
        argv = [str(out / f"{host}.pem"), "--at", when, "--ca", str(cas / "Root-CA.pem")]
        for ca in pool:
            argv += ["--untrusted", str(cas / f"{ca}.pem")]
        for ca in crl_cas:
            argv += ["--crl", str(cas / f"{ca}.crl")]
        if sales_crl is not None:
            argv += ["--crl", str(sales_crl)]
        print("$ ikesim pki verify " + shlex.join(argv))
        verdict = run_verify(parser.parse_args(["pki", "verify", *argv]))
        print()
        expected = 1 if sales_crl is not None else 0
        status |= int(verdict != expected)
    return status
