"""`ikesim peer` refuses bad input before it listens or writes anything, and `ikesim pki export`
before it writes: one line, exit 2."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.badinput.conftest import assert_refused, files_under

FIGURE4 = str(Path(__file__).resolve().parents[2] / "topologies" / "figure4-multilevel.yaml")
GW = "ike_cert_gw_01"


@pytest.mark.parametrize(("argv", "fragments"), [
    (["Host-Z"], ("device 'Host-Z'", "not in", "Host-A, Host-B")),
    (["Host-A", "--listen", "localhost:5000"], ("--listen 'localhost:5000'", "not an IPv4")),
    (["Host-A", "--listen", "::1"], ("--listen '::1'", "not an IPv4")),
    (["Host-A", "--listen", "127.0.0.1:70000"], ("--listen '127.0.0.1:70000'", "1..65535")),
    (["Host-A", "--listen", "127.0.0.1:0"], ("--listen '127.0.0.1:0'", "1..65535")),
    (["Host-A", "--listen", "127.0.0.1:５"], ("--listen", "must be a number")),
    (["Host-A", "--initiate", "gw\x1b[2J"], ("--initiate 'gw\\x1b[2J'", "no such IKE gateway",
                                            GW)),
    (["Host-A", "--initiate", GW], (f"--initiate {GW}", f"--gateway-address {GW}=")),
    (["Host-A", "--gateway-address", "127.0.0.1:5000"],
     ("expected GATEWAY=ADDR[:PORT[:NAT-T-PORT]]",)),
    (["Host-A", "--gateway-address", "nope=127.0.0.1"], ("--gateway-address 'nope'",
                                                        "no such IKE gateway")),
    (["Host-A", "--gateway-address", f"{GW}=10.0.0.256"], (f"--gateway-address {GW}",
                                                          "not an IPv4")),
    (["Host-A", "--gateway-address", f"{GW}=127.0.0.1:5000",
      "--gateway-address", f"{GW}=127.0.0.1:5001"], (f"--gateway-address {GW}: given twice",)),
    (["Host-A", "--start", "yesterday"], ("--start 'yesterday'", "not an ISO 8601 time")),
    (["Host-A", "--start", "2200-01-01T00:00:00Z"], ("--start", "outside 1970..2099")),
])
def test_bad_peer_arguments_are_one_line(ikesim, tmp_path: Path, argv, fragments) -> None:
    before = files_under(tmp_path)
    assert_refused(ikesim("peer", FIGURE4, *argv, "--out", "run"), *fragments)
    assert files_under(tmp_path) == before
    assert not any(tmp_path.iterdir())


def test_a_port_in_use_is_one_line_and_leaves_no_run_folder(ikesim, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        outcome = ikesim("peer", FIGURE4, "Host-B", "--listen", f"127.0.0.1:{port}",
                         "--out", "run")
    assert_refused(outcome, f"--listen 127.0.0.1:{port}: cannot listen there",
                   "Address already in use")
    assert not any(tmp_path.iterdir())


def test_an_unknown_topology_is_one_line(ikesim) -> None:
    assert_refused(ikesim("peer", "no-such.yaml", "Host-A"), "no-such.yaml", "no such file")


def test_export_never_writes_into_a_folder_that_holds_something(ikesim, tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "mine.txt").write_text("keep")
    before = files_under(tmp_path)
    assert_refused(ikesim("pki", "export", FIGURE4, "--out", "pki"),
                   "--out pki: exists and is not an empty folder")
    assert files_under(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pki"]


def test_an_export_that_fails_midway_removes_only_its_own_staging_folder(
        ikesim, tmp_path: Path, monkeypatch) -> None:
    """The one delete of `ikesim pki export` takes the folder it made itself, never `--out`'s
    neighbours, whatever the export's name."""
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "mine.txt").write_text("keep")
    (tmp_path / ".out.partial-keep").mkdir()
    before = files_under(tmp_path)

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sim.cli.pki_export.export_pki", full_disk)
    outcome = ikesim("pki", "export", FIGURE4, "--out", "out")
    assert outcome.code != 0 and "Traceback" not in outcome.err
    assert files_under(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.partial-keep", "pki"]
