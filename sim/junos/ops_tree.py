"""The operational-mode commands ikesim answers, as a tree of keywords: each node's
children, each command's options (flags and valued options, their placeholders and
choices), which are required, exclusive or positional, and the one-line help `?` shows.
sim.junos.ops_grammar reads typed lines against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["CERT_ID", "Command", "Leaf", "Node", "Opt", "ROOT", "commands", "help_text"]


@dataclass(frozen=True)
class Opt:
    """One option of a command: a flag (`value` None) or a keyword and its value."""

    name: str
    help: str
    value: str | None = None  # the value's placeholder, e.g. "certificate-id-name"
    choices: tuple[str, ...] = ()
    names: str | None = None  # which existing names complete the value (see complete)


@dataclass(frozen=True)
class Leaf:
    key: str  # what runs it, e.g. "show pki crl"
    help: str
    opts: tuple[Opt, ...] = ()
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()  # exactly one of these
    exclusive: tuple[tuple[str, ...], ...] = ()  # at most one of each group
    # The option a bare word fills (`show security ike security-associations 2.2.2.2`), as
    # Junos takes a peer address without a keyword before it.
    positional: str | None = None


@dataclass(frozen=True)
class Node:
    help: str
    children: Mapping[str, Node | Leaf] = field(default_factory=dict)
    key: str | None = None  # what runs when the line ends here (`show configuration`)
    # Where a word that is none of the keywords leads, as its positional value (`show log
    # kmd-trace`: a trace file, named by the configuration, not by the grammar).
    other: Leaf | None = None


@dataclass(frozen=True)
class Command:
    key: str
    args: Mapping[str, str | bool]

    def get(self, name: str) -> str | None:
        value = self.args.get(name)
        return value if isinstance(value, str) else None

    def flag(self, name: str) -> bool:
        return self.args.get(name) is True


_LEVEL = (Opt("brief", "Display brief output"), Opt("detail", "Display detailed output"))
_BRIEF_DETAIL = (("brief", "detail"),)
CERT_ID = "certificate-id-name"


def _cert_id(help_text: str = "Certificate identifier", names: str = "local") -> Opt:
    return Opt("certificate-id", help_text, CERT_ID, names=names)


def _profile(help_text: str = "CA profile name") -> Opt:
    return Opt("ca-profile", help_text, "ca-profile-name", names="profile")


_PEER_ADDRESS = Opt("peer-address", "IP address of security association's peer",
                    "peer-address", names="peer")
_CONFIG_SECTIONS = (("ike", "Internet Key Exchange configuration"),
                    ("ipsec", "IP Security configuration"),
                    ("pki", "Public-key infrastructure configuration"))
_FILENAME = Opt("filename", "File name", "path/filename")
_SUBJECT_OPTS = (
    _cert_id(names="key"),
    Opt("subject", "Distinguished name format (DC, CN, OU, O, L, ST, C)", "subject-name"),
    Opt("domain-name", "Fully qualified domain name", "domain-name"),
    Opt("ip-address", "IP address", "ip-address"),
    Opt("email", "E-mail address", "email-address"),
    Opt("digest", "Digest hash algorithm", "digest", choices=("sha1", "sha256")),
    Opt("add-ca-constraint", "Add CA constraint to the certificate"),
)

ROOT = Node("", {
    "show": Node("Show system information", {
        "security": Node("Show security information", {
            "pki": Node("Show public-key infrastructure information", {
                "ca-certificate": Leaf(
                    "show pki ca-certificate", "Show certificate authority certificate "
                    "information", (*_LEVEL, _profile()), exclusive=_BRIEF_DETAIL),
                "certificate-request": Leaf(
                    "show pki certificate-request", "Show certificate request information",
                    (*_LEVEL, _cert_id(names="request")), exclusive=_BRIEF_DETAIL),
                "crl": Leaf(
                    "show pki crl", "Show certificate revocation list information",
                    (*_LEVEL, _profile()), exclusive=_BRIEF_DETAIL),
                "local-certificate": Leaf(
                    "show pki local-certificate", "Show local certificate information",
                    (*_LEVEL, _cert_id(),
                     Opt("system-generated", "Show the automatically generated certificate")),
                    exclusive=(*_BRIEF_DETAIL, ("certificate-id", "system-generated"))),
            }),
            "ike": Node("Show Internet Key Exchange information", {
                "security-associations": Leaf(
                    "show ike sa", "Show Internet Key Exchange security associations",
                    (*_LEVEL, Opt("index", "Index of security association", "index",
                                  names="ike-sa"),
                     _PEER_ADDRESS), exclusive=(*_BRIEF_DETAIL, ("index", "peer-address")),
                    positional="peer-address"),
            }),
            "ipsec": Node("Show IP Security information", {
                "security-associations": Leaf(
                    "show ipsec sa", "Show IPSec security associations",
                    (*_LEVEL, Opt("index", "Index of security association", "index",
                                  names="ipsec-sa")),
                    exclusive=_BRIEF_DETAIL),
                "statistics": Leaf(
                    "show ipsec statistics", "Show IPSec statistics",
                    (Opt("index", "Index of security association", "index"),)),
            }),
        }),
        "configuration": Node("Show current configuration", {
            "security": Node("Security configuration", {
                section: Leaf(f"show configuration security {section}", text)
                for section, text in _CONFIG_SECTIONS
            }, key="show configuration security"),
        }, key="show configuration"),
        "version": Leaf("show version", "Show software process revision levels"),
        "log": Node("Show contents of log files", {
            "kmd": Leaf("show log kmd", "Key management daemon log"),
            "pkid": Leaf("show log pkid", "Public-key infrastructure daemon log"),
            "messages": Leaf("show log messages", "System log (KMD_* messages)"),
        }, other=Leaf("show log file", "Trace file (traceoptions file)",
                      (Opt("filename", "Name of log file", "filename", names="log"),),
                      required=("filename",), positional="filename")),
    }),
    "request": Node("Make system-level requests", {
        "security": Node("Perform security maintenance", {
            "pki": Node("Public-key infrastructure operations", {
                "ca-certificate": Node("Certificate authority certificate operations", {
                    "ca-profile-group": Node("CA profile group operations", {
                        "load": Leaf("request pki ca-certificate ca-profile-group load",
                                     "Load a group of CA certificates from a PEM file",
                                     (Opt("ca-group-name", "CA profile group name",
                                          "ca-group-name"), _FILENAME),
                                     required=("ca-group-name", "filename")),
                    }),
                    "enroll": Leaf("request pki ca-certificate enroll",
                                   "Enroll a CA certificate online (SCEP)", (_profile(),),
                                   required=("ca-profile",)),
                    "load": Leaf("request pki ca-certificate load",
                                 "Load a CA certificate from a file",
                                 (_profile(), _FILENAME), required=("ca-profile", "filename")),
                    "verify": Leaf("request pki ca-certificate verify",
                                   "Verify a CA certificate", (_profile(),),
                                   required=("ca-profile",)),
                }),
                "crl": Node("Certificate revocation list operations", {
                    "load": Leaf("request pki crl load", "Load a CRL from a file",
                                 (_profile(), _FILENAME), required=("ca-profile", "filename")),
                }),
                "generate-certificate-request": Leaf(
                    "request pki generate-certificate-request", "Generate PKCS-10 request",
                    (*_SUBJECT_OPTS, Opt("filename", "File name or terminal",
                                         "path/filename|terminal")),
                    required=("certificate-id", "subject")),
                "generate-key-pair": Leaf(
                    "request pki generate-key-pair", "Generate public/private key pair",
                    (_cert_id(names="none"),
                     Opt("size", "Key size", "size",
                         choices=("256", "384", "512", "1024", "2048", "4096")),
                     Opt("type", "Key type", "type", choices=("rsa", "dsa", "ecdsa"))),
                    required=("certificate-id",)),
                "local-certificate": Node("Local certificate operations", {
                    "enroll": Leaf(
                        "request pki local-certificate enroll",
                        "Enroll a local certificate online (SCEP)",
                        (_profile(), _cert_id(names="key"),
                         Opt("challenge-password", "Challenge password", "password"),
                         *(opt for opt in _SUBJECT_OPTS
                           if opt.name in ("subject", "domain-name", "ip-address", "email"))),
                        # Chapter 16's syntax: only email and ip-address are optional.
                        required=("ca-profile", "certificate-id", "challenge-password",
                                  "domain-name", "subject")),
                    "export": Leaf("request pki local-certificate export",
                                   "Export a local certificate to a file",
                                   (_cert_id(), _FILENAME,
                                    Opt("type", "Certificate format", "type",
                                        choices=("pem", "der"))),
                                   required=("certificate-id", "filename")),
                    "generate-self-signed": Leaf(
                        "request pki local-certificate generate-self-signed",
                        "Generate a self-signed certificate", _SUBJECT_OPTS,
                        required=("certificate-id", "subject")),
                    "load": Leaf("request pki local-certificate load",
                                 "Load a local certificate from a file",
                                 (_cert_id(names="key"), _FILENAME,
                                  Opt("key", "Private key file", "path/filename")),
                                 required=("certificate-id", "filename")),
                    "verify": Leaf("request pki local-certificate verify",
                                   "Verify a local certificate", (_cert_id(),),
                                   required=("certificate-id",)),
                }),
                "verify-integrity-status": Leaf("request pki verify-integrity-status",
                                                "Verify the integrity of PKI files"),
            }),
        }),
    }),
    "clear": Node("Clear information in the system", {
        "security": Node("Clear security information", {
            "pki": Node("Clear public-key infrastructure information", {
                "ca-certificate": Leaf("clear pki ca-certificate", "Clear CA certificates",
                                       (_profile("CA profile name or all"),),
                                       required=("ca-profile",)),
                "crl": Leaf("clear pki crl", "Clear certificate revocation lists",
                            (_profile("CA profile name or all"),), required=("ca-profile",)),
                "key-pair": Leaf("clear pki key-pair", "Clear key pairs",
                                 (Opt("all", "Clear all key pairs"), _cert_id(names="key")),
                                 one_of=("all", "certificate-id")),
                "local-certificate": Leaf(
                    "clear pki local-certificate", "Clear local certificates",
                    (Opt("all", "Clear all local certificates"), _cert_id(),
                     Opt("system-generated", "Clear and regenerate the automatically "
                                             "generated certificate")),
                    one_of=("all", "certificate-id", "system-generated")),
            }),
            "ike": Node("Clear Internet Key Exchange information", {
                "security-associations": Leaf(
                    "clear ike sa", "Clear Internet Key Exchange security associations",
                    (_PEER_ADDRESS,), positional="peer-address"),
            }),
            "ipsec": Node("Clear IP Security information", {
                "security-associations": Leaf(
                    "clear ipsec sa", "Clear IPSec security associations",
                    (Opt("index", "Index of security association", "index"),)),
                "statistics": Leaf("clear ipsec statistics", "Clear IPSec statistics",
                                   (Opt("index", "Index of security association", "index"),)),
            }),
        }),
    }),
})

def commands(node: Node | Leaf = ROOT, words: tuple[str, ...] = ()
             ) -> list[tuple[str, str]]:
    """Every command the grammar has, as (its words, its help), in the tree's order: the
    list `help` prints, made from the tree so that it cannot miss one."""
    if isinstance(node, Leaf):
        return [(" ".join(words), node.help)]
    found = [(" ".join(words), node.help)] if node.key is not None else []
    for name, child in node.children.items():
        found += commands(child, (*words, name))
    if node.other is not None:
        opt = next(o for o in node.other.opts if o.name == node.other.positional)
        found.append((" ".join((*words, f"<{opt.value}>")), node.other.help))
    return found


def help_text() -> str:
    """What `help` prints in `ikesim cli`: every command, then the pipes and the CLI's own."""
    rows = [*commands(), ("... | match TEXT | except TEXT", "Filter the answer's lines"),
            ("... | count | last N | no-more", "Count them, keep the last N, do not page"),
            ("... | display set", "Show configuration as set commands"),
            ("help | exit | quit", "This list; leave the CLI")]
    width = max(len(words) for words, _ in rows)
    return "\n".join(["Commands (keywords may be shortened, `?` lists what may follow):",
                      *(f"  {words:<{width}}  {text}" for words, text in rows)])
