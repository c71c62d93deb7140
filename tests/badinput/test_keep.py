"""Devices stamped from a group keep no files unless asked (`keep:`, `ikesim run --keep`):
kept ones answer `ikesim show`, the others get one line naming --keep; a bad --keep or
`keep:` is one line, and nothing is run."""

from __future__ import annotations

from pathlib import Path

from sim.topology import library
from tests.badinput.conftest import assert_refused

TOPOLOGY = library.topologies_dir() / "hub-and-spoke-ecdsa.yaml"


def _run(ikesim, *extra: str):
    return ikesim("run", str(TOPOLOGY), "--param", "spokes=6", "--out", "run", "--quiet",
                  *extra)


def test_only_named_and_kept_devices_get_files(ikesim, tmp_path):
    outcome = _run(ikesim, "--keep", "Spoke-0004", "--keep", "Spoke-000[56]")
    assert outcome.code == 0, outcome.err
    kept = ["Hub", "Spoke-0001", "Spoke-0004", "Spoke-0005", "Spoke-0006"]  # 0001: keep:
    run = tmp_path / "run"
    for folder in ("devices", "logs"):
        assert sorted(p.name for p in (run / folder).iterdir()) == kept
    assert sorted(p.name for p in (run / "pki").iterdir()) == sorted(["cas", *kept])
    shown = ikesim("show", "run", "Spoke-0005", "show security ike security-associations")
    assert shown.code == 0, shown.err
    assert "198.51.100.1" in shown.out
    assert "Phase-1 [initiator] done for local=der_asn1_dn(udp:500,[0..53]=C=US, O=Example, " \
        "CN=Spoke-0005) remote=ipv4(udp:500,[0..3]=198.51.100.1)" in \
        (run / "logs" / "Spoke-0005" / "kmd").read_text()


def test_show_on_a_device_that_was_not_kept_names_keep(ikesim, tmp_path):
    assert _run(ikesim).code == 0
    for command in (("show", "run", "Spoke-0003", "show security pki crl"),
                    ("cli", "run", "Spoke-0003")):
        assert_refused(ikesim(*command), "run: device Spoke-0003 ran but was not kept",
                       "run again with --keep Spoke-0003")
    # A name that was never in the run is still told apart from one that was not kept.
    line = assert_refused(ikesim("show", "run", "Spoke-0099", "show security pki crl"))
    assert "no device Spoke-0099" in line and "--keep" not in line


def test_a_keep_that_names_no_device_is_refused_before_anything_runs(ikesim, tmp_path):
    assert_refused(_run(ikesim, "--keep", "Branch-*"),
                   "--keep 'Branch-*': names no device of hub-and-spoke-ecdsa")
    assert not (tmp_path / "run").exists()


def test_a_group_keep_that_is_not_names_is_refused_with_its_line(ikesim, tmp_path):
    text = TOPOLOGY.read_text().replace("keep: [Spoke-0001]", "keep: {Spoke-0001: yes}")
    Path(tmp_path / "k.yaml").write_text(text)
    line_no = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("    keep:"))
    assert_refused(ikesim("run", "k.yaml", "--out", "run"), f"k.yaml line {line_no}",
                   "devices.Spoke.keep: expected member names or wildcards")
    assert not (tmp_path / "run").exists()


def test_a_named_device_may_keep_no_files_but_not_with_a_non_boolean(ikesim, tmp_path):
    text = TOPOLOGY.read_text().replace("    key-pool: 16\n    enroll:\n      - {certificate-id: "
                                        "hub", "    key-pool: 16\n    keep: 0\n    enroll:\n"
                                        "      - {certificate-id: hub", 1)
    assert "keep: 0" in text
    (tmp_path / "n.yaml").write_text(text)
    assert_refused(ikesim("run", "n.yaml", "--out", "run"), "devices.Hub.keep: 0: expected "
                   "true or false")
    (tmp_path / "n.yaml").write_text(text.replace("keep: 0", "keep: false"))
    assert ikesim("run", "n.yaml", "--out", "run", "--param", "spokes=2").code == 0
    assert not (tmp_path / "run" / "devices" / "Hub").exists()
    assert (tmp_path / "run" / "devices" / "Spoke-0001").is_dir()
