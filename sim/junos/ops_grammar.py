"""The operational-mode commands ikesim answers, as a tree of keywords, and how a typed line is
read against it: keywords may be shortened to any unique prefix (`sh sec pki crl`), options
after the command's keywords come in any order (`generate-key-pair type rsa size 1024
certificate-id test`, as Chapter 16 types it), values with spaces go in double quotes, and
`?` lists what may come next ("Possible completions:").

Errors are one line, in the CLI's words: "syntax error, expecting <command>." for a word that
does not fit, "syntax error, expecting <certificate-id-name>." for a missing value,
"error: missing mandatory argument: subject" for a missing required option.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pki.files import FileRefused, check_name
from sim.junos.config_tokens import shown

__all__ = ["Command", "Leaf", "Node", "Opt", "ParseError", "ROOT", "choices", "commands",
           "complete", "help_text", "parse", "peer_address", "sa_index", "word_spans"]


class ParseError(ValueError):
    """A line the CLI refuses before running anything; str() is the one-line answer."""


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
_CERT_ID = "certificate-id-name"


def _cert_id(help_text: str = "Certificate identifier", names: str = "local") -> Opt:
    return Opt("certificate-id", help_text, _CERT_ID, names=names)


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


EXPECTING = "syntax error, expecting <command>."
_FILE_NAMES = {_CERT_ID: "certificate-id", "ca-profile-name": "ca-profile",
               "filename": "log file", "ca-group-name": "ca-profile-group"}

# A generous bound on one command line: far more than any command needs, small enough that
# reading a line costs nothing.
MAX_LINE = 65536

# A word: runs of plain characters, "double-quoted" text (where a backslash escapes `"` and
# `\`), 'single-quoted' text and backslash-escaped characters, joined, as shlex.split (a
# POSIX shell) reads `a"b c"d`; shlex itself takes time quadratic in a word's length.
_PIECE = re.compile(r"""[^\s"'\\]+|"([^"\\]*(?:\\.[^"\\]*)*)"|'([^']*)'|\\(.)|(\s+)""", re.S)
_ESCAPE = re.compile(r'\\(["\\])')  # inside double quotes, as a POSIX shell


def tokenize(line: str) -> list[str]:
    """The words of `line`, in time linear in its length."""
    return [word for word, _ in word_spans(line)]


def word_spans(line: str) -> list[tuple[str, int]]:
    """The words of `line`, each with the column it starts at (where a caret marks it)."""
    if len(line) > MAX_LINE:
        raise ParseError(f"error: line of {len(line)} characters (at most {MAX_LINE}).")
    words: list[tuple[str, int]] = []
    pieces: list[str] | None = None  # the word being read, if any
    start = at = 0
    while at < len(line):
        match = _PIECE.match(line, at)
        if match is None:  # an opening quote without its closing one, or a final backslash
            raise ParseError("syntax error, unbalanced quotes.")
        if match[4] is not None:  # whitespace ends a word
            if pieces is not None:
                words.append(("".join(pieces), start))
                pieces = None
            at = match.end()
            continue
        if pieces is None:
            pieces, start = [], at
        at = match.end()
        if match[1] is not None:
            pieces.append(_ESCAPE.sub(r"\1", match[1]))
        elif match[2] is not None:
            pieces.append(match[2])
        elif match[3] is not None:
            pieces.append(match[3])
        else:
            pieces.append(match[0])
    if pieces is not None:
        words.append(("".join(pieces), start))
    return words


def _match(word: str, names: list[str]) -> str:
    if word in names:
        return word
    hits = [name for name in names if name.startswith(word)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise ParseError(f"'{word}' is ambiguous.")
    raise ParseError(EXPECTING)


def _walk(tokens: list[str]) -> tuple[Node | Leaf, int]:
    """The node or leaf the keywords lead to, and how many tokens they took."""
    node: Node | Leaf = ROOT
    pos = 0
    while isinstance(node, Node) and pos < len(tokens):
        try:
            node = node.children[_match(tokens[pos], list(node.children))]
        except ParseError:
            if node.other is None:
                raise
            return node.other, pos  # the word is the leaf's positional value
        pos += 1
    return node, pos


def _options(leaf: Leaf, tokens: list[str], *, partial: bool = False) -> dict[str, str | bool]:
    args: dict[str, str | bool] = {}
    by_name = {opt.name: opt for opt in leaf.opts}
    pos = 0
    while pos < len(tokens):
        try:
            name = _match(tokens[pos], [n for n in by_name if n not in args])
        except ParseError:
            if leaf.positional is None or leaf.positional in args:
                raise
            args[leaf.positional] = _checked(by_name[leaf.positional], tokens[pos])
            pos += 1
            continue
        opt = by_name[name]
        pos += 1
        if opt.value is None:
            args[name] = True
            continue
        if pos == len(tokens):
            if partial:
                args[name] = ""
                break
            raise ParseError(f"syntax error, expecting <{opt.value}>.")
        args[name] = _checked(opt, tokens[pos])
        pos += 1
    return args


def _checked(opt: Opt, value: str) -> str:
    if opt.choices and value not in opt.choices:
        raise ParseError(f"syntax error, expecting {' | '.join(opt.choices)}.")
    if opt.value in _FILE_NAMES:
        try:  # a certificate-id, ca-profile or log file names a file: never a path
            check_name(_FILE_NAMES[opt.value], value)
        except FileRefused as exc:
            raise ParseError(f"error: {exc}") from None
    return value


def parse(line: str) -> Command:
    """The command a line asks for; raises ParseError with the CLI's one-line answer."""
    tokens = tokenize(line)
    if not tokens:
        raise ParseError(EXPECTING)
    node, pos = _walk(tokens)
    if isinstance(node, Node):
        if node.key is None:
            raise ParseError(EXPECTING)
        return Command(node.key, {})
    args = _options(node, tokens[pos:])
    for name in node.required:
        if name not in args:
            raise ParseError(f"error: missing mandatory argument: {name}")
    chosen = [name for name in node.one_of if name in args]
    if node.one_of and not chosen:
        raise ParseError(EXPECTING)
    for group in (*node.exclusive, node.one_of):
        given = [name for name in group if name in args]
        if len(given) > 1:
            raise ParseError(f"error: {given[0]} and {given[1]} cannot be used together")
    return Command(node.key, args)


NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits: '²'.isdigit() holds, int('²') fails


def sa_index(cmd: Command) -> int | None:
    """The command's `index N`, checked: ParseError with the CLI's line for anything else."""
    value = cmd.get("index")
    if value is None:
        return None
    if not NUMBER.fullmatch(value):
        raise ParseError(f"error: invalid index '{shown(value)}': expecting a number")
    return int(value)


def peer_address(cmd: Command) -> str | None:
    """The command's peer address, checked and in its usual spelling."""
    value = cmd.get("peer-address")
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ParseError(f"error: invalid peer address '{shown(value)}'") from None


Names = Callable[[str], list[str]]


def complete(line: str, names: Names | None = None) -> str:
    """What `?` at the end of `line` answers: "Possible completions:" and a two-column list,
    or the one-line error the words typed so far already cause. `names(kind)` supplies
    existing names ("local", "request", "key", "profile", "ike-sa", "ipsec-sa") to offer for
    a value."""
    try:
        items = choices(line[:-1] if line.endswith("?") else line, names)
    except ParseError as error:
        return str(error)
    if not items:
        return "No valid completions"
    return "\n".join(["Possible completions:",
                      *(f"  {name:<20} {help_text}" for name, help_text in items)])


def _other_items(node: Node, leaf: Leaf, names: Names | None) -> list[tuple[str, str]]:
    """What a word that is no keyword may be: `<filename>` and the names that exist."""
    opt = next(o for o in leaf.opts if o.name == leaf.positional)
    known = names(opt.names) if names and opt.names else []
    return [(f"<{opt.value}>", opt.help),
            *((name, leaf.help) for name in known if name not in node.children)]


def choices(text: str, names: Names | None = None) -> list[tuple[str, str]]:
    """What may come at the end of `text` (its last word, when not followed by a space, is
    the start of one): (choice, one-line help) pairs, placeholders such as
    `<certificate-id-name>` and `<[Enter]>` included; ParseError for words that do not fit."""
    words = tokenize(text)
    partial = "" if not text or text[-1].isspace() else words.pop()
    node, pos = _walk(words)
    if isinstance(node, Node):
        items = [(name, child.help) for name, child in node.children.items()]
        if node.other is not None:  # Junos lists `<filename>` first, then the files
            placeholder, *known = _other_items(node, node.other, names)
            items = [placeholder, *items, *known]
        if node.key is not None:
            items = [("<[Enter]>", "Execute this command"), *items,
                     ("|", "Pipe through a command")]
    else:
        items = _leaf_items(node, words[pos:], names)
    return [(name, help_text) for name, help_text in items
            if name.startswith(partial) or (name.startswith("<") and name != "<[Enter]>")]


def _leaf_items(leaf: Leaf, tokens: list[str], names: Names | None) -> list[tuple[str, str]]:
    args = _options(leaf, tokens, partial=True)
    waiting = [name for name, value in args.items() if value == ""]
    if waiting:
        opt = next(o for o in leaf.opts if o.name == waiting[0])
        if opt.choices:
            return [(choice, opt.help) for choice in opt.choices]
        known = names(opt.names) if names and opt.names else []
        return [(f"<{opt.value}>", opt.help), *((n, opt.help) for n in known)]
    taken = set(args)
    for group in (*leaf.exclusive, leaf.one_of):
        if taken & set(group):
            taken |= set(group)
    items = []
    complete_now = all(name in args for name in leaf.required) and (
        not leaf.one_of or any(name in args for name in leaf.one_of))
    if complete_now:
        items.append(("<[Enter]>", "Execute this command"))
    if leaf.positional is not None and leaf.positional not in taken:
        opt = next(o for o in leaf.opts if o.name == leaf.positional)
        items.append((f"<{opt.value}>", opt.help))
    items += [(opt.name, opt.help) for opt in leaf.opts
              if opt.name not in taken and opt.name != leaf.positional]
    items.append(("|", "Pipe through a command"))
    return items
