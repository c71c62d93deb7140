"""The bad-input corpus for topology files: each one through `ikesim run FILE`, refused in one
line naming the file and line, exit 2, no run folder, nothing written anywhere, and at once (a
watchdog turns a hang into a failure instead of a stuck suite)."""

from __future__ import annotations

import os
import signal
import textwrap
from pathlib import Path

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import pair

DATA = Path(__file__).parent / "topologies"
BASE = pair()
HANG = 20  # seconds: every case here is refused in milliseconds; a hang is the bug


@pytest.fixture(autouse=True)
def watchdog():
    """A refused input must cost nothing: a case still running after HANG seconds fails."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {HANG} s: a topology that should be refused "
                           "at once is being built")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(HANG)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _refused(ikesim, tmp_path: Path, name: str, text: str | bytes, *fragments: str,
             line_of: str | None = None, args: tuple[str, ...] = ()) -> str:
    """Write `text` to tmp_path/name, run it, and check the refusal; `line_of` is a piece of
    the text whose (first) line the error must name."""
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    before = files_under(tmp_path)
    outcome = ikesim("run", name, *args)
    where = name
    if line_of is not None:
        rows = (text.decode(errors="replace") if isinstance(text, bytes) else text).splitlines()
        where = f"{name} line {next(n for n, row in enumerate(rows, 1) if line_of in row)}:"
    line = assert_refused(outcome, where, *fragments)
    assert not (tmp_path / "runs").exists()
    assert files_under(tmp_path) == before
    return line


def _swap(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# -- YAML -----------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_before_it_is_built(ikesim, tmp_path):
    text = (DATA / "alias-bomb.yaml").read_text()
    _refused(ikesim, tmp_path, "bomb.yaml", text, "YAML aliases expand to more than 1,000,000 "
             "nodes", line_of="g: &g")


def test_an_alias_chain_deeper_than_the_limit_is_refused(ikesim, tmp_path):
    chain = "".join(f"  a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 80))
    text = _swap("seed: 7\n", "seed: 7\nparameters:\n  a0: &a0 [x]\n" + chain
                 + "description: *a79\n")
    _refused(ikesim, tmp_path, "chain.yaml", text, "YAML aliases nest more than 64 levels deep",
             line_of="a63: &a63")


@pytest.mark.parametrize("opening", ["[", "{a: "], ids=["lists", "mappings"])
def test_deep_nesting_is_refused_not_a_recursion_error(ikesim, tmp_path, opening):
    closing = "]" if opening == "[" else "}"
    text = _swap("seed: 7\n", f"seed: 7\ndescription: {opening * 100_000}{closing * 100_000}\n")
    _refused(ikesim, tmp_path, "deep.yaml", text, "YAML nested more than 64 levels deep",
             line_of="description:")


def test_a_node_that_contains_itself_is_refused(ikesim, tmp_path):
    text = _swap("seed: 7\n", "seed: 7\ndescription: &loop [x, *loop]\n")
    _refused(ikesim, tmp_path, "loop.yaml", text, "a YAML alias refers to a node that "
             "contains it", line_of="description:")


def test_small_anchors_and_aliases_keep_working(ikesim, tmp_path):
    text = _swap("  crl-server: {address: 192.0.2.10, latency: 10ms}",
                 "  crl-server: {address: 192.0.2.10, latency: &slow 10ms}\n"
                 "  other: {address: 192.0.2.11, latency: *slow}")
    text = _swap("duration: 10m", "duration: 2s", text)
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    outcome = ikesim("run", "ok.yaml", "--quiet")
    assert outcome.code == 0, outcome.err


def test_a_raw_escape_sequence_is_refused_in_one_line(ikesim, tmp_path):
    text = _swap("seed: 7\n", "seed: 7\ndescription: \x1b[31mred\x1b[0m\n")
    _refused(ikesim, tmp_path, "escape.yaml", text, "character U+001B is not allowed in YAML",
             line_of="description:")


def _host_b_config(config: str) -> str:
    """BASE with Host-B's block-scalar configuration replaced by `config` (one line)."""
    start = BASE.index("    config: |\n", BASE.index("  Host-B:"))
    return BASE[:start] + f"    config: {config}\n" + BASE[BASE.index("\n\n", start) + 1:]


@pytest.mark.parametrize(
    ("text", "line_of", "fragment"),
    [(_swap('subject: "CN=Host-B, O=Test, C=US"', 'subject: "CN=Host-B\\e[2J, O=Test, C=US"'),
      "CN=Host-B\\e", "devices.Host-B.enroll.subject: 'CN=Host-B\\x1b[2J, O=Test, C=US' is "
                       "not a subject"),
     (_swap("ip-address: 10.0.0.2}]", 'ip-address: 10.0.0.2, domain-name: "b\\e[2J.example"}]'),
      "b\\e[2J", "devices.Host-B.enroll.domain-name: expected printable text"),
     (_host_b_config('"set system host-name \\e[2J\\n"'), "host-name",
      "devices.Host-B.config: Host-B config line 1: '\\x1b': syntax error, character "
      "U+001B is not allowed in a configuration")],
    ids=["subject", "domain-name", "config"],
)
def test_text_that_reaches_logs_and_terminals_is_printable(ikesim, tmp_path, text, line_of,
                                                          fragment):
    _refused(ikesim, tmp_path, "escapes.yaml", text, fragment, line_of=line_of)


def test_a_number_of_five_thousand_digits_is_refused(ikesim, tmp_path):
    text = _swap("seed: 7", "seed: " + "7" * 5000)
    _refused(ikesim, tmp_path, "digits.yaml", text, "cannot be read", "value has 5000 digits",
             line_of="seed:")


def test_a_list_as_a_mapping_key_is_refused(ikesim, tmp_path):
    text = _swap("  Host-A:\n", "  ? [Host-A]\n  : {}\n  Host-C:\n")
    _refused(ikesim, tmp_path, "key.yaml", text, "a mapping key must be a name or a number",
             line_of="? [Host-A]")


# -- the file ------------------------------------------------------------------------------


def test_a_file_that_is_not_utf8_names_the_byte(ikesim, tmp_path):
    data = BASE.encode().replace(b"name: test", b"name: t\xe9st")
    line = _refused(ikesim, tmp_path, "latin1.yaml", data, "not UTF-8 text (byte 0xe9 at "
                    "offset 7)")
    assert line == "ikesim: latin1.yaml: not UTF-8 text (byte 0xe9 at offset 7)"
    assert "--until" not in line


def test_a_file_over_the_limit_is_not_read(ikesim, tmp_path):
    big = BASE + "#" * (4 * 1024 * 1024) + "\n"
    _refused(ikesim, tmp_path, "big.yaml", big, f"big.yaml: is {len(big.encode())} bytes; the "
             "limit is 4194304 bytes")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(ikesim, tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")
    outcome = ikesim("run", "fifo.yaml")
    assert_refused(outcome, "fifo.yaml: is not a regular file")


# -- names that become paths ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line_of", "fragment"),
    [
        ("  Host-B:\n", "  ../../../victim:\n", "../../../victim:",
         "devices: device '../../../victim': use letters"),
        ("  Host-B:\n", "  .:\n", "  .:", "devices: device '.': use letters"),
        ("  Host-B:\n", "  /tmp/x:\n", "/tmp/x:", "devices: device '/tmp/x'"),
        ("  Host-B:\n", '  "Host\\0B":\n', "Host\\0B", "device 'Host\\x00B'"),
        ("  Host-B:\n", '  "":\n', '  "":', "devices: device ''"),
        ("  Host-B:\n", f"  {'B' * 300}:\n", "BBBB", "at most 63 characters"),
        ("  Host-B:\n", "  3:\n", "  3:", "devices: device 3: expected a name, not int"),
        ("certificate-id: Host-A", "certificate-id: ../Host-A", "certificate-id: ../Host-A",
         "devices.Host-A.enroll.certificate-id: certificate-id '../Host-A'"),
        ("  CA-B:    {", "  ..:    {", "  ..:", "cas: CA '..'"),
        ("  crl-server:", "  crl/server:", "crl/server", "servers: server 'crl/server'"),
        ("{Root-CA: Root-CA, CA-A: CA-A}", "{Root-CA: Root-CA, ../CA-A: CA-A}", "../CA-A",
         "devices.Host-A.ca-certificates: ca-profile '../CA-A'"),
        ("name: test", "name: ../../elsewhere", "name:",
         "name: topology name '../../elsewhere'"),
        ("  Host-B:\n", "  cas:\n", "  cas:", "devices.cas: the name cas is taken in the run "
         "folder (pki/cas/ holds the CAs' certificates and CRLs); choose another"),
    ],
    ids=["dotdot", "dot", "absolute", "nul", "empty", "long", "integer", "certificate-id",
         "ca", "server", "ca-profile", "topology-name", "cas"],
)
def test_a_name_that_would_be_a_path_is_refused(ikesim, tmp_path, old, new, line_of,
                                                fragment):
    _refused(ikesim, tmp_path, "names.yaml", _swap(old, new), fragment, line_of=line_of)


def test_a_list_where_a_device_name_goes_is_refused(ikesim, tmp_path):
    text = _swap("{device: Host-A, gateway: gw}", "{device: [Host-A], gateway: gw}")
    _refused(ikesim, tmp_path, "list.yaml", text, "events.initiate.device: expected a name, "
             "not ['Host-A']", line_of="initiate:")


def test_a_device_named_dotdot_leaves_the_file_system_untouched(ikesim, tmp_path):
    """Today's defect: the store's save replaced `victim` (a folder beside the run) with the
    device's keys. Nothing outside may change, and nothing inside may be created."""
    work, victim = tmp_path / "work", tmp_path / "victim"
    (victim / "keep").mkdir(parents=True)
    (victim / "keep" / "notes.txt").write_text("mine\n")
    work.mkdir()
    text = _swap("duration: 10m", "duration: 2s",
                 BASE.replace("Host-B", "../../../../victim"))
    (work / "t.yaml").write_text(text)
    before = files_under(tmp_path)
    os.chdir(work)
    outcome = ikesim("run", str(work / "t.yaml"))
    assert_refused(outcome, "devices: device '../../../../victim'")
    assert files_under(tmp_path) == before
    assert not (work / "runs").exists()


# -- sizes: groups, counts, events -----------------------------------------------------------

GROUP = _swap("links:\n", textwrap.dedent("""\
      Spoke:
        count: 3
        address-pool: 10.64.0.0/16
        config: |
          set interfaces ge-0/0/0 unit 0 family inet address {address}/16
    links:
    """))


@pytest.mark.parametrize(
    ("count", "fragment"),
    [("10000000", "devices.Spoke.count: 10000000 is more than a topology holds (200,000 "
                  "devices)"),
     ("0", "devices.Spoke.count: 0 is not a positive whole number"),
     ("-3", "devices.Spoke.count: -3 is not a positive whole number"),
     ("2.5", "devices.Spoke.count: 2.5 is not a positive whole number"),
     ("[3]", "devices.Spoke.count: [3] is not a positive whole number")],
    ids=["huge", "zero", "negative", "fraction", "list"],
)
def test_a_group_count_is_checked_before_anything_is_expanded(ikesim, tmp_path, count,
                                                              fragment):
    text = _swap("count: 3", f"count: {count}", GROUP)
    _refused(ikesim, tmp_path, "count.yaml", text, fragment, line_of="count:")


def test_groups_are_counted_together_before_one_is_expanded(ikesim, tmp_path):
    text = _swap("  Spoke:\n", "  Branch:\n    count: 150000\n    address-pool: 10.0.0.0/8\n"
                 "    config: ''\n  Spoke:\n", GROUP)
    text = _swap("count: 3\n    address-pool: 10.64.0.0/16",
                 "count: 150001\n    address-pool: 11.0.0.0/8", text)
    _refused(ikesim, tmp_path, "groups.yaml", text, "devices.Spoke.count: 150001 more devices "
             "make 300,003; a topology holds at most 200,000", line_of="count: 150001")


def test_a_group_of_large_entries_is_refused_by_its_expanded_size(ikesim, tmp_path):
    text = _swap("count: 3", "count: 100000", GROUP)
    text = _swap("address-pool: 10.64.0.0/16", "address-pool: 10.0.0.0/8", text)
    text = _swap("    config: |\n      set interfaces ge-0/0/0 unit 0 family inet address "
                 "{address}/16\n", "    config: |\n" + "      # padding\n" * 600, text)
    _refused(ikesim, tmp_path, "wide.yaml", text, "devices.Spoke: 100000 copies of this entry "
             "make more than 500,000,000 characters", line_of="count: 100000")


def test_an_address_pool_smaller_than_the_group_is_refused(ikesim, tmp_path):
    text = _swap("address-pool: 10.64.0.0/16", "address-pool: 10.64.0.0/30", GROUP)
    _refused(ikesim, tmp_path, "pool.yaml", text, "devices.Spoke.address-pool: "
             "10.64.0.0/30 has fewer than 3 addresses", line_of="address-pool:")


def test_wildcard_events_are_bounded(ikesim, tmp_path):
    # 1,001 different patterns, each matching every spoke ("Spoke-[00]*", "Spoke-[01]*", ...).
    events = "".join(f"  - {{at: 1s, clock: {{device: 'Spoke-[0{i}]*', offset: 1s}}}}\n"
                     for i in range(1001))
    text = _swap("events:\n", "events:\n" + events, GROUP)
    _refused(ikesim, tmp_path, "wild.yaml", text, "events.clock.device: more than 1000 "
             "different wildcards", line_of="'Spoke-[01000]*'")


# -- times and numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line_of", "fragment"),
    [
        ("duration: 10m", "duration: .inf", "duration:", "duration: inf is not a finite "
                                                          "duration"),
        ("duration: 10m", "duration: .nan", "duration:", "duration: nan is not a finite"),
        ("duration: 10m", "duration: -1", "duration:", "duration: -1 is negative"),
        ("duration: 10m", "duration: 0", "duration:", "duration: 0: must be more than 0"),
        ("duration: 10m", "duration: 3000w", "duration:",
         "duration: '3000w' is too long (at most 1825d, 5 years)"),
        ("{at: 1s,", "{at: -5s,", "initiate:", "events.at: '-5s' is not a duration"),
        ("{at: 1s,", "{at: -5,", "initiate:", "events.at: -5 is negative"),
        ("{at: 1s,", "{at: .inf,", "initiate:", "events.at: inf is not a finite duration"),
        ("{at: 1s,", "{at: 1.0e+300,", "initiate:", "events.at: 1e+300 is too long"),
        ("latency: 5ms}", "latency: .inf}", "between:", "links[].latency: inf is not a finite "
                                                        "duration"),
        ("latency: 5ms}", "latency: -5ms}", "between:", "links[].latency: '-5ms' is not a "
                                                        "duration"),
        ("latency: 5ms}", "latency: 2h}", "between:", "links[].latency: '2h' is too long (at "
                                                      "most 1h)"),
        ("latency: 5ms}", "latency: 5ms, jitter: .nan}", "between:",
         "links[].jitter: nan is not a finite duration"),
        ("latency: 5ms}", "latency: 5ms, loss: .nan}", "between:",
         "links[].loss: nan is not a finite number"),
        ("latency: 5ms}", "latency: 5ms, loss: 1.5}", "between:",
         "links[].loss: 1.5 is out of range (0..1)"),
        ("latency: 10ms}", "latency: 10ms, capacity: .inf}", "crl-server:",
         "servers.crl-server.capacity: inf is not a whole number"),
        ("latency: 10ms}", "latency: 10ms, capacity: 0}", "crl-server:",
         "servers.crl-server.capacity: 0 is out of range (1..100,000)"),
        ("latency: 10ms}", "latency: 10ms, bandwidth: .inf}", "crl-server:",
         "servers.crl-server.bandwidth: inf is not a finite number"),
        ("latency: 10ms}", "latency: 10ms, bandwidth: -1}", "crl-server:",
         "servers.crl-server.bandwidth: -1 is out of range"),
        ("start: 2013-03-01T09:00:00Z", "start: 0001-01-01T00:00:00Z", "start:",
         "start: 0001-01-01T00:00:00+00:00 is outside 1970..2099"),
        ("start: 2013-03-01T09:00:00Z", "start: 9999-12-31T23:59:59Z", "start:",
         "start: 9999-12-31T23:59:59+00:00 is outside 1970..2099"),
        ("seed: 7", "seed: -1", "seed:", "seed: -1 is out of range"),
        ("seed: 7", "seed: .inf", "seed:", "seed: inf is not a whole number"),
        ("    ca-certificates: {Root-CA: Root-CA, CA-B: CA-B}\n",
         "    ca-certificates: {Root-CA: Root-CA, CA-B: CA-B}\n    clock-offset: 1.0e+300\n",
         "clock-offset:", "devices.Host-B.clock-offset: 1e+300 is too long (at most 36500d, "
                          "100 years)"),
        ("    ca-certificates: {Root-CA: Root-CA, CA-B: CA-B}\n",
         "    ca-certificates: {Root-CA: Root-CA, CA-B: CA-B}\n    pkid-processing: .inf\n",
         "pkid-processing:", "devices.Host-B.pkid-processing: inf is not a finite duration"),
        ("ip-address: 10.0.0.2}]", "ip-address: 10.0.0.2, validity: 99999999d}]",
         "validity:", "devices.Host-B.enroll.validity: '99999999d' is too long"),
        ("ip-address: 10.0.0.2}]", "ip-address: 10.0.0.2, not-before: -36500d}]",
         "not-before:", "devices.Host-B.enroll.not-before: certificate Host-B would begin in "
                        "1913; X.509 dates begin in 1950"),
        ("ip-address: 10.0.0.2}]", "ip-address: 10.0.0.2, not-before: -1.0e+300}]",
         "not-before:", "devices.Host-B.enroll.not-before: 1e+300 is too long"),
        ("{at: 1s, initiate: {device: Host-A, gateway: gw}}",
         "{at: 1s, clock: {device: Host-A, offset: 1.0e+300}}", "clock:",
         "events.clock: offset: 1e+300 is too long"),
    ],
    ids=["duration-inf", "duration-nan", "duration-negative", "duration-zero", "duration-long",
         "at-negative-text", "at-negative", "at-inf", "at-1e300", "latency-inf",
         "latency-negative", "latency-long", "jitter-nan", "loss-nan", "loss-over-1",
         "capacity-inf", "capacity-zero", "bandwidth-inf", "bandwidth-negative", "start-year-1",
         "start-year-9999", "seed-negative", "seed-inf", "clock-offset-huge", "processing-inf",
         "validity-huge", "not-before-1913", "not-before-huge", "event-offset-huge"],
)
def test_times_and_numbers_are_finite_and_in_range(ikesim, tmp_path, old, new, line_of,
                                                   fragment):
    _refused(ikesim, tmp_path, "numbers.yaml", _swap(old, new), fragment, line_of=line_of)


# -- CAs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line_of", "fragment"),
    [
        ('CN=CA-B", key: ecdsa-256,', 'CN=CA-B", key: ecdsa-256, validity: 0,', "  CA-B:",
         "cas.CA-B.validity: 0 is shorter than a day (1d)"),
        ('CN=CA-B", key: ecdsa-256,', 'CN=CA-B", key: ecdsa-256, path-length: -1,', "  CA-B:",
         "cas.CA-B.path-length: -1 is out of range (0..255)"),
        ('"http://192.0.2.10/b.crl", lifetime: 1d', '"http://192.0.2.10/b.crl", lifetime: 0s',
         "b.crl", "cas.CA-B.crl.lifetime: '0s' is shorter than a second (1s)"),
        ('"http://192.0.2.10/b.crl", lifetime: 1d',
         '"http://192.0.2.10/b.crl", lifetime: 1d, publish-interval: 1s', "b.crl",
         "cas.CA-B.crl.publish-interval: every 1s publishes more than 100,000 CRLs in a 1w "
         "run"),
        ("  CA-B:    {issuer: Root-CA,", "  CA-B:    {issuer: CA-B,", "  CA-B:",
         "cas.CA-B.issuer: a CA cannot issue its own certificate (a root has no issuer)"),
        ("  CA-A:    {issuer: Root-CA,", "  CA-A:    {issuer: CA-B,", "  CA-A:", None),
        ('"http://192.0.2.10/b.crl"', '"file:///etc/passwd"', "file:",
         "cas.CA-B.crl.url: 'file:///etc/passwd' is not an http, https or ldap URL"),
        ('"http://192.0.2.10/b.crl"', '"http://exämple.net/b.crl"', "exämple",
         "is not an http, https or ldap URL with a host (ASCII, no spaces)"),
        ("lifetime: 1d}}\n\n", "lifetime: 1d, extra-revoked: 2000000}}\n\n", "b.crl",
         "cas.CA-B.crl.extra-revoked: 2000000 is out of range (0..1,000,000)"),
    ],
    ids=["validity-0", "path-length-negative", "crl-lifetime-0", "publish-too-often",
         "issues-itself", "cycle", "url-scheme", "url-unicode", "extra-revoked"],
)
def test_a_ca_hierarchy_that_cannot_be_built_is_refused_at_load(ikesim, tmp_path, old, new,
                                                                 line_of, fragment):
    text = _swap(old, new)
    if fragment is None:  # the loop: CA-A <- CA-B <- Root-CA is fine; make Root-CA <- CA-A
        text = _swap('  Root-CA: {subject:', '  Root-CA: {issuer: CA-A, subject:', text)
        fragment = "cas.Root-CA.issuer: CA issuers form a loop: Root-CA -> CA-A -> CA-B -> "\
                   "Root-CA"
        line_of = "  Root-CA:"
    if "1w run" in fragment:
        text = _swap("duration: 10m", "duration: 1w", text)
    _refused(ikesim, tmp_path, "cas.yaml", text, fragment, line_of=line_of)


# -- references, events, configuration -------------------------------------------------------


def test_a_link_to_an_unknown_device_says_which(ikesim, tmp_path):
    text = _swap("between: [Host-A, Host-B]", "between: [Host-A, Host-C]")
    line = _refused(ikesim, tmp_path, "link.yaml", text, "links[].between: no device named "
                    "'Host-C'", line_of="between:")
    assert "expected two device names" not in line


def test_an_initiate_event_on_a_dynamic_gateway_is_refused(ikesim, tmp_path):
    text = _swap("set security ike gateway gw address 10.0.0.2",
                 "set security ike gateway gw dynamic hostname peer.example.net")
    _refused(ikesim, tmp_path, "dynamic.yaml", text, "events.initiate: Host-A's gateway gw has "
             "a dynamic peer: it can only respond", line_of="initiate:")


def test_revoking_a_root_is_refused(ikesim, tmp_path):
    text = _swap("{at: 1s, initiate: {device: Host-A, gateway: gw}}",
                 "{at: 1s, revoke: {ca: Root-CA, certificate: Root-CA}}")
    _refused(ikesim, tmp_path, "root.yaml", text, "events.revoke: Root-CA is a root: no CA "
             "issued its certificate", line_of="revoke:")


def test_revoking_a_ca_by_another_ca_is_refused(ikesim, tmp_path):
    text = _swap("{at: 1s, initiate: {device: Host-A, gateway: gw}}",
                 "{at: 1s, revoke: {ca: CA-A, certificate: CA-B}}")
    _refused(ikesim, tmp_path, "issuer.yaml", text, "events.revoke: CA-B was issued by Root-CA, "
             "not CA-A", line_of="revoke:")


@pytest.mark.parametrize(
    ("method", "key", "fragment"),
    [("ecdsa-signatures-256", "rsa-1024",
      "authentication-method ecdsa-signatures-256 does not fit local certificate Host-A (an "
      "RSA 1024-bit key): ecdsa-signatures-256 needs an ECDSA P-256 key"),
     ("dsa-signatures", "rsa-1024", "dsa-signatures needs a DSA key"),
     ("rsa-signatures", "ecdsa-256", "(an ECDSA P-256 key): rsa-signatures needs an RSA key"),
     ("ecdsa-signatures-256", "ecdsa-384", "(an ECDSA P-384 key): ecdsa-signatures-256 needs "
                                           "an ECDSA P-256 key")],
    ids=["ecdsa-rsa", "dsa-rsa", "rsa-ecdsa", "p256-p384"],
)
def test_an_authentication_method_that_does_not_fit_the_certificate_is_refused(
        ikesim, tmp_path, method, key, fragment):
    text = _swap("set security ike proposal p1 authentication-method rsa-signatures",
                 f"set security ike proposal p1 authentication-method {method}")
    text = _swap("{certificate-id: Host-A, ca: CA-A, key: rsa-1024",
                 f"{{certificate-id: Host-A, ca: CA-A, key: {key}", text)
    _refused(ikesim, tmp_path, "method.yaml", text,
             "devices.Host-A.config: gateway gw: policy pol proposal p1 authentication-method "
             f"{method} does not fit local certificate Host-A", fragment,
             line_of=f"authentication-method {method}")


# -- --param ---------------------------------------------------------------------------------

PARAMETERS = _swap("seed: 7\n", "seed: 7\nparameters: {hosts-latency: 5ms}\n",
                   _swap("latency: 5ms}", "latency: ${hosts-latency}}"))


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("5ms, loss: 1", "--param hosts-latency: '5ms, loss: 1' is not one value"),
     ("5ms}\nduration: 1s", "--param hosts-latency: the value must be one line of printable "
                            "text"),
     ("[1, 2]", "--param hosts-latency: '[1, 2]' is not one value"),
     ("{a: 1}", "--param hosts-latency: '{a: 1}' is not one value"),
     ("", "--param hosts-latency: '' is not one value"),
     ("!!python/object/apply:os.system [id]", "--param hosts-latency: YAML syntax error")],
    ids=["flow-injection", "newline", "list", "mapping", "empty", "tag"],
)
def test_a_param_value_is_one_value_and_cannot_add_entries(ikesim, tmp_path, value, fragment):
    _refused(ikesim, tmp_path, "param.yaml", PARAMETERS, fragment,
             args=("--param", f"hosts-latency={value}"))


def test_a_param_value_takes_its_type_and_is_checked_where_it_lands(ikesim, tmp_path):
    _refused(ikesim, tmp_path, "param.yaml", PARAMETERS, "links[].latency: inf is not a "
             "finite duration", line_of="${hosts-latency}",
             args=("--param", "hosts-latency=.inf"))


def test_parameter_markers_written_as_yaml_escapes_are_refused(ikesim, tmp_path):
    """ikesim marks ${name} with two private-use characters while it substitutes; a YAML
    escape can write them too, naming no parameter."""
    text = _swap("seed: 7\n", 'seed: 7\ndescription: "\\ue000nope\\ue001"\n', PARAMETERS)
    _refused(ikesim, tmp_path, "markers.yaml", text,
             "characters U+E000/U+E001 are not allowed in a topology")


def test_crl_padding_is_bounded_over_all_cas_and_publications(ikesim, tmp_path):
    """extra-revoked is bounded per CA, and over the whole run: entries held and entries
    signed again at each publication (aliases make many CAs from a few lines)."""
    text = _swap("lifetime: 1d}}\n\n", "lifetime: 1d, publish-interval: 1h, "
                                       "extra-revoked: 1000000}}\n\n")
    text = _swap("duration: 10m", "duration: 1w", text)
    _refused(ikesim, tmp_path, "published.yaml", text,
             "cas.CA-B.crl.extra-revoked: more than 100,000,000 extra-revoked entries "
             "published in a run", line_of="b.crl")


def test_crl_padding_held_over_all_cas_is_bounded(ikesim, tmp_path):
    text = BASE
    for ca in ("root", "a", "b"):
        text = _swap(f'"http://192.0.2.10/{ca}.crl", lifetime: 1d}}',
                     f'"http://192.0.2.10/{ca}.crl", lifetime: 1d, extra-revoked: 1000000}}',
                     text)
    _refused(ikesim, tmp_path, "held.yaml", text, "cas.CA-B.crl.extra-revoked: more than "
             "2,000,000 extra-revoked entries over all CAs", line_of="b.crl")


def test_a_certificate_id_enrolled_twice_by_one_device_is_refused(ikesim, tmp_path):
    """It used to end in an internal error while the hierarchy issued the second one."""
    text = _swap('domain-name: host-a.example.net}]',
                 'domain-name: host-a.example.net},\n'
                 '                      {certificate-id: Host-A, ca: CA-B, ip-address: 10.0.0.1}]')
    _refused(ikesim, tmp_path, "twice.yaml", text, "devices.Host-A.enroll: certificate-id "
             "Host-A is already enrolled above", line_of="{certificate-id: Host-A, ca: CA-B,")


def test_what_a_run_deletes_stays_in_its_run_folder_whatever_the_names(ikesim, tmp_path):
    """Every delete ikesim makes (old logs and their rotations, the store's staging folder, an
    earlier run replaced whole, its own stale partial folders) is inside the run folder or is
    its own staging beside it. Names a topology may legally give that look like those files
    (a device `kmd.0`, one `A..B`, a trace file `kmd.1`, a topology named like a staging
    folder) change nothing outside `out/`, over two runs into the same folder."""
    work = tmp_path / "work"
    (work / "victim").mkdir(parents=True)
    (work / "victim" / "kmd.1").write_text("mine\n")
    (work / ".out.partial-mine").mkdir()  # looks like ours, but not our token pattern
    (work / ".out.partial-mine" / "notes").write_text("mine\n")
    (work / "kmd.0").write_text("mine\n")
    text = _swap("duration: 10m", "duration: 2s",
                 BASE.replace("Host-B", "kmd.0").replace("Host-A", "A..B"))
    text = text.replace("set security pki traceoptions flag all",
                        "set security pki traceoptions flag all\n"
                        "      set security ike traceoptions file kmd.1\n"
                        "      set security ike traceoptions flag all", 1)
    text = text.replace("name: ", "name: x.partial-0011223344556677  # was: ", 1)
    (work / "t.yaml").write_text(text)
    os.chdir(work)
    before = {k: v for k, v in files_under(work).items() if not k.startswith("out")}
    for _ in range(2):
        outcome = ikesim("run", str(work / "t.yaml"), "--out", "out")
        assert outcome.code == 0, outcome.err
    after = {k: v for k, v in files_under(work).items() if not k.startswith("out")}
    assert after == before
    assert (work / "out" / "logs" / "kmd.0" / "kmd").is_file()
    assert (work / "out" / "logs" / "A..B" / "kmd.1").is_file()
