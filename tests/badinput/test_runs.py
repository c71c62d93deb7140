"""The bad-input corpus for runs: `ikesim run` options, and `ikesim show` / `ikesim cli` on
folders that are not complete runs or whose saved state was tampered with. Each is refused in
one line with exit status 2, and nothing on disk changes."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from sim.cli.main import main
from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import pair


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A complete run of the two-device topology, and the topology file."""
    root = tmp_path_factory.mktemp("pristine")
    (root / "pair.yaml").write_text(pair())
    assert main(["run", str(root / "pair.yaml"), "--out", str(root / "run"), "--quiet"]) == 0
    return root


@pytest.fixture
def work(pristine, tmp_path) -> Path:
    """tmp_path (the ikesim fixture's working folder) holding pair.yaml and run/."""
    shutil.copy(pristine / "pair.yaml", tmp_path / "pair.yaml")
    shutil.copytree(pristine / "run", tmp_path / "run", symlinks=True)
    return tmp_path


def refused_and_unchanged(ikesim, root: Path, argv: list[str], *fragments: str) -> str:
    before = files_under(root)
    line = assert_refused(ikesim(*argv), *fragments)
    assert files_under(root) == before
    assert not [p for p in root.rglob(".*partial-*")]
    return line


# -- ikesim run ---------------------------------------------------------------------------------

RUN_OPTIONS = [
    (["--until", "0s"], "argument --until: '0s': must be more than 0"),
    (["--until", "0"], "argument --until: '0': must be more than 0"),
    (["--until", "soon"], "argument --until: 'soon' is not a duration"),
    (["--until", "9" * 400], "is too long (at most 1825d"),
    (["--until", "2000d"], "argument --until: '2000d' is too long (at most 1825d"),
    (["--seed", "-1"], "argument --seed: -1 is out of range (0..9223372036854775807)"),
    (["--seed", str(2**63)], "argument --seed: 9223372036854775808 is out of range"),
    (["--seed", "1" * 5000], "argument --seed: '1111"),
    (["--seed", "seven"], "argument --seed: 'seven' is not a whole number"),
    (["--seed", "\uff13"], "argument --seed: '\uff13' is not a whole number"),
    (["--seed", "1_000"], "argument --seed: '1_000' is not a whole number"),
    (["--out", ""], ": name a folder for the run (e.g. runs/mine)"),
    (["--pcap", "missing/ike.pcap"], "--pcap missing/ike.pcap: the folder missing does not "
                                     "exist (ikesim does not create it)"),
    (["--pcap", "pair.yaml/ike.pcap"], "the folder pair.yaml is not a folder"),
    (["--pcap", "run"], "--pcap run: is a folder"),
    (["--pcap", "out/ike.pcap", "--out", "out"], "--pcap out/ike.pcap: the folder out does "
                                                 "not exist"),
    (["--pcap", "run/ike.pcap", "--out", "run"], "--pcap run/ike.pcap: is inside the run "
                                                 "folder run"),
]


@pytest.mark.parametrize("options,fragment", RUN_OPTIONS,
                         ids=[" ".join(o)[:40] for o, _ in RUN_OPTIONS])
def test_bad_run_options(ikesim, work, options, fragment):
    argv = ["run", "pair.yaml", *options]
    if "--out" not in options:
        argv += ["--out", "new"]
    line = refused_and_unchanged(ikesim, work, argv, fragment)
    assert len(line) < 200  # a 5,000-digit seed is not repeated back whole
    assert not (work / "new").exists() and not (work / "runs").exists()


@pytest.mark.parametrize("out,fragment", [
    ("pair.yaml", "ikesim: pair.yaml: exists and is not a folder"),
    ("pair.yaml/run", "ikesim: pair.yaml/run: pair.yaml is not a folder"),
    ("pair.yaml/a/b", "ikesim: pair.yaml/a/b: pair.yaml is not a folder"),
    ("full", "ikesim: full: not empty and not an ikesim run folder; a run replaces only an "
             "earlier run (choose another --out)"),
    (".", "ikesim: .: name a folder for the run"),
    ("link", "ikesim: link: is a symbolic link; name the run folder itself"),
])
def test_out_that_is_not_ours_to_replace(ikesim, work, out, fragment):
    (work / "full").mkdir()
    (work / "full" / "thesis.tex").write_text("years of work\n")
    (work / "link").symlink_to(work / "run")
    refused_and_unchanged(ikesim, work, ["run", "pair.yaml", "--out", out], fragment)


def test_a_non_utf8_topology_is_named_as_such(ikesim, work):
    (work / "latin1.yaml").write_bytes(pair().replace("name: test", "name: t\xe9st")
                                       .encode("latin-1"))
    line = refused_and_unchanged(ikesim, work, ["run", "latin1.yaml", "--out", "new"],
                                 "latin1.yaml", "not UTF-8", "0xe9")
    assert "--until" not in line


# -- ikesim show / cli --------------------------------------------------------------------------

def show(*argv: str) -> list[str]:
    return ["show", *argv]


@pytest.mark.parametrize("command", ["show", "cli"])
@pytest.mark.parametrize("folder,fragment", [
    ("pair.yaml", "ikesim: pair.yaml: not an ikesim run folder"),
    ("empty", "ikesim: empty: not an ikesim run folder"),
    ("stripped", "ikesim: stripped: not an ikesim run folder"),  # the marker gone
    ("forged", "ikesim: forged: not an ikesim run folder"),  # a marker that does not read
    ("nowhere", "ikesim: nowhere: no such run folder"),
])
def test_show_and_cli_on_a_folder_that_is_not_a_complete_run(ikesim, work, command, folder,
                                                             fragment):
    (work / "empty").mkdir()
    shutil.copytree(work / "run", work / "stripped")
    (work / "stripped" / ".ikesim-run").unlink()
    shutil.copytree(work / "run", work / "forged")
    (work / "forged" / ".ikesim-run").write_text("{not json")
    argv = [command, folder, "Host-A"] + (["show log kmd"] if command == "show" else [])
    refused_and_unchanged(ikesim, work, argv, fragment)


@pytest.mark.parametrize("command", ["show", "cli"])
@pytest.mark.parametrize("device,fragment", [
    ("../run/devices/Host-A", "device '../run/devices/Host-A': use letters, digits"),
    ("..", "device '..': use letters"),
    ("Host-A/../Host-B", "device 'Host-A/../Host-B'"),
    ("/etc", "device '/etc'"),
    ("a\x00b", "device 'a\\x00b'"),
    ("x" * 64, "at most 63 characters"),
])
def test_device_names_are_names_not_paths(ikesim, work, command, device, fragment):
    argv = [command, "run", device] + (["show log kmd"] if command == "show" else [])
    refused_and_unchanged(ikesim, work, argv, fragment)


def state_of(work: Path, device: str = "Host-A") -> dict:
    return json.loads((work / "run" / "devices" / device / "state.json").read_text())


class Raw(str):
    """What a change writes instead of the changed JSON."""


def tamper(work: Path, change) -> None:
    path = work / "run" / "devices" / "Host-A" / "state.json"
    state = json.loads(path.read_text())
    result = change(state)
    path.write_text(result if isinstance(result, Raw) else json.dumps(state))


def _sa(state: dict) -> dict:
    assert state["ike_sas"], "the run must leave an IKE SA to tamper with"
    return state["ike_sas"][0]


TAMPERED = [
    ("not json", lambda s: Raw("{"), "state.json: file: not JSON"),
    ("a list", lambda s: Raw("[]"), "state.json: file: expected an object, not a list"),
    ("deep", lambda s: Raw("[" * 100000), "state.json: file: not JSON"),
    ("missing key", lambda s: s.pop("serial"), "state.json: serial: missing"),
    ("extra key", lambda s: s.update(evil=1), "state.json: evil: unknown key"),
    ("other device", lambda s: s.update(name="Host-B"),
     "state.json: name: 'Host-B' is not the device Host-A"),
    ("now a number", lambda s: s.update(now=5), "state.json: now: expected a string, not a "
                                                "number"),
    ("now garbage", lambda s: s.update(now="yesterday"),
     "state.json: now: 'yesterday' is not an ISO date and time"),
    ("now naive", lambda s: s.update(now="2013-03-01T09:10:00"),
     "state.json: now: '2013-03-01T09:10:00' has no time zone"),
    ("now year 9999", lambda s: s.update(now="9999-12-31T23:59:59+00:00"),
     "is outside the years 1950..9000"),
    ("sas not a list", lambda s: s.update(ike_sas={}), "state.json: ike_sas: expected a list"),
    ("sa missing key", lambda s: _sa(s).pop("mode"), "state.json: ike_sas[0].mode: missing"),
    ("sa extra key", lambda s: _sa(s).update(x=1), "state.json: ike_sas[0].x: unknown key"),
    ("sa index a string", lambda s: _sa(s).update(index="1"),
     "state.json: ike_sas[0].index: expected a whole number, not a string"),
    ("sa index true", lambda s: _sa(s).update(index=True),
     "state.json: ike_sas[0].index: expected a whole number, not true/false"),
    ("sa lifetime huge", lambda s: _sa(s).update(lifetime_seconds=10**400),
     "state.json: ike_sas[0].lifetime_seconds: "),
    ("sa remote id too long", lambda s: _sa(s).update(remote_id="x" * 5000),
     "state.json: ike_sas[0].remote_id: longer than 4096 characters"),
    ("sa established", lambda s: _sa(s).update(established="never"),
     "state.json: ike_sas[0].established: 'never' is not an ISO date and time"),
    ("sa as a list", lambda s: s.update(ike_sas=[[1]]),
     "state.json: ike_sas[0]: expected an object, not a list"),
    ("dynamic profile name", lambda s: s.update(dynamic_profiles={"../x": "Root-CA"}),
     "state.json: dynamic_profiles.../x: not a dynamic CA profile name"),
    ("dynamic profile parent", lambda s: s.update(dynamic_profiles={"dynamic-001": 3}),
     "state.json: dynamic_profiles.dynamic-001: expected a string"),
    ("crl source", lambda s: s.update(crl_sources={"Root-CA": {"url": None}}),
     "state.json: crl_sources.Root-CA.loaded_at: missing"),
    ("crl source profile", lambda s: s.update(crl_sources={"a/b": {}}),
     "state.json: crl_sources.a/b: ca-profile 'a/b'"),
]


@pytest.mark.parametrize("command", ["show", "cli"])
@pytest.mark.parametrize("what,change,fragment", TAMPERED, ids=[t[0] for t in TAMPERED])
def test_a_tampered_state_json_is_named_in_one_line(ikesim, work, monkeypatch, command, what,
                                                    change, fragment):
    tamper(work, change)
    monkeypatch.setattr(sys, "stdin", io.StringIO("show security ike security-associations\n"))
    argv = [command, "run", "Host-A"] + (
        ["show security ike security-associations detail"] if command == "show" else [])
    refused_and_unchanged(ikesim, work, argv, "run/devices/Host-A/state.json: ", fragment)


def test_state_json_that_leaves_the_run_folder_through_a_symlink(ikesim, work):
    outside = work / "outside.json"
    shutil.copy(work / "run" / "devices" / "Host-A" / "state.json", outside)
    state = work / "run" / "devices" / "Host-A" / "state.json"
    state.unlink()
    state.symlink_to(outside)
    refused_and_unchanged(ikesim, work, show("run", "Host-A", "show log kmd"),
                          "state.json: leaves the folder run")


def test_a_log_that_leaves_the_run_folder_is_not_shown(ikesim, work):
    secret = work / "secret"
    secret.write_text("the private key\n")
    log = work / "run" / "logs" / "Host-A" / "kmd"
    log.unlink()
    log.symlink_to(secret)
    line = refused_and_unchanged(ikesim, work, show("run", "Host-A", "show log kmd"),
                                 "logs/Host-A/kmd: leaves the folder run")
    assert "private key" not in line


def test_a_config_that_is_not_utf8(ikesim, work):
    (work / "run" / "devices" / "Host-A" / "config").write_bytes(b"set system host-name \xff\n")
    refused_and_unchanged(ikesim, work, show("run", "Host-A", "show log kmd"),
                          "run/devices/Host-A/config: not UTF-8 text (byte 0xff at offset 21)")


def test_a_tampered_state_reaches_the_terminal_escaped(ikesim, work):
    tamper(work, lambda s: _sa(s).update(gateway="\x1b]0;owned\x07\x1b[2Jgotcha"))
    outcome = ikesim("show", "run", "Host-A", "show security ike security-associations detail")
    assert outcome.code == 0
    assert "Gateway Name: ^[]0;owned^G^[[2Jgotcha" in outcome.out
    assert "\x1b" not in outcome.out


def test_a_tampered_log_reaches_the_terminal_escaped(ikesim, work):
    log = work / "run" / "logs" / "Host-A" / "kmd"
    log.write_bytes(log.read_bytes() + b"Mar  1 09:00:02 \x1b]0;owned\x07\x1b[2J\xff\n")
    outcome = ikesim("show", "run", "Host-A", "show log kmd")
    assert outcome.code == 0
    assert outcome.out.splitlines()[-1] == "Mar  1 09:00:02 ^[]0;owned^G^[[2J\ufffd"
    assert "\x1b" not in outcome.out
