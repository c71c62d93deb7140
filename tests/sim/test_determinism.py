"""The same topology and seed give the same bytes: every file of the run folder (results.json,
logs, stores with their keys, certificates and CRLs, devices/, plots) and the capture with its
key table, from two processes with different hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.report.pcap import pcap_bytes
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.badinput.conftest import files_under
from tests.sim.scenarios import pair

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
          "  - {at: 2m, revoke: {ca: CA-B, certificate: Host-B}}\n"
          "  - {at: 1d, initiate: {device: Host-A, gateway: gw}}")


def test_two_processes_with_different_hash_seeds_write_the_same_bytes(tmp_path):
    (tmp_path / "pair.yaml").write_text(pair(events=EVENTS, duration="1d1h"))
    runs = {}
    for name, hash_seed in (("a", "1"), ("b", "4242")):
        (tmp_path / name).mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-m", "sim", "run", "pair.yaml", "--seed", "3", "--quiet",
             "--out", f"{name}/run", "--pcap", f"{name}/ike.pcap"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        runs[name] = files_under(tmp_path / name)
    a, b = runs["a"], runs["b"]
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []
    # What the comparison covered: every kind of output, the plots included.
    for expected in ("run/results.json", "run/.ikesim-run", "run/logs/Host-A/kmd",
                     "run/logs/Host-B/pkid", "run/pki/Host-A/keys/Host-A.key",
                     "run/pki/Host-B/local/Host-B.pem", "run/pki/cas/CA-B.crl",
                     "run/devices/Host-A/state.json", "run/plots/ladder.png",
                     "run/plots/hierarchy.png", "ike.pcap", "ike.pcap.keys"):
        assert expected in a, expected
    assert len(a["ike.pcap.keys"].splitlines()) == 2


@pytest.mark.parametrize(("key", "method"), [("dsa-1024", "dsa-signatures"),
                                             ("ecdsa-256", "ecdsa-signatures-256")],
                         ids=["dsa", "ecdsa"])
def test_dsa_and_ecdsa_signatures_repeat_in_the_capture(tmp_path, key, method):
    """DSA and ECDSA signatures take a nonce: a deterministic one (RFC 6979), so the SIG
    payloads, and with them the whole capture, repeat."""
    text = pair(events=EVENTS, duration="1d1h").replace(
        "authentication-method rsa-signatures", f"authentication-method {method}").replace(
        "key: rsa-1024", f"key: {key}")
    assert f"authentication-method {method}" in text and f"key: {key}" in text
    topology = parse_topology(text, source="pair.yaml")
    captures = []
    for name in ("a", "b"):
        scenario = Scenario.build(topology, out=tmp_path / name, seed=3)
        scenario.run()
        assert [n.phase1 for n in scenario.results.in_order()] == ["done", "failed"]
        captures.append(pcap_bytes(scenario.world.network.capture, start=topology.start))
    assert captures[0] == captures[1]


@pytest.mark.parametrize("name", ["rekey-day", "nat-t", "nat-no-natt", "fragments-dropped",
                                  "traffic-ping", "dpd-peer-dies"])
def test_the_tunnel_life_scenarios_repeat_byte_for_byte(tmp_path, name):
    """Rekeys, NAT-T, fragments, ESP traffic and DPD: the run folder, the capture and both key
    tables (IKE and ESP) of two processes with different hash seeds are the same bytes."""
    topology = ROOT / "topologies" / f"{name}.yaml"
    runs = {}
    for run, hash_seed in (("a", "2"), ("b", "9001")):
        (tmp_path / run).mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
        runs[run] = subprocess.Popen(
            [sys.executable, "-m", "sim", "run", str(topology), "--quiet", "--out",
             f"{run}/run", "--pcap", f"{run}/c.pcap"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for process in runs.values():
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    a, b = files_under(tmp_path / "a"), files_under(tmp_path / "b")
    assert sorted(a) == sorted(b)
    assert [file for file in a if a[file] != b[file]] == []
    for expected in ("run/results.json", "run/devices/", "run/logs/", "c.pcap", "c.pcap.keys",
                     "c.pcap.esp_sa"):
        assert any(file.startswith(expected) for file in a), expected
    assert a["c.pcap.esp_sa"].strip() and len(a["c.pcap"]) > 1000
