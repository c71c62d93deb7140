"""A run's capture in Wireshark: the key files list the SAs in the order they happened, and
`ikesim run --pcap` prints the tshark command that decrypts the capture, which works as printed
(one `-o` per key line, or for many SAs the two-step way through Wireshark's tables)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.report.wireshark import tshark_instructions
from tests.sim.tshark import needs_tshark

TOPOLOGIES = Path(__file__).resolve().parents[2] / "topologies"


def run(here: Path, topology: Path | str, *options: str, pcap: str = "cap.pcap") -> Path:
    """`ikesim run TOPOLOGY --pcap cap.pcap --quiet` in `here`, as a user types it."""
    cwd = os.getcwd()
    os.chdir(here)
    try:
        code = main(["run", str(topology), "--out", "run", "--pcap", pcap, "--quiet",
                     *options])
    finally:
        os.chdir(cwd)
    assert code == 0
    return here


def printed(capsys, *, heading: str | None = None) -> list[str]:
    """The shell lines ikesim printed under its `Wireshark:` heading (which is `heading`)."""
    out = capsys.readouterr().out.splitlines()
    start = next(n for n, line in enumerate(out) if line.startswith("Wireshark:"))
    assert heading is None or out[start] == heading
    return out[start + 1:]


def shell(here: Path, lines: list[str], *extra: str) -> str:
    """The printed lines run by sh in `here` under a fresh home (no Wireshark tables yet),
    with `extra` appended to the last (tshark's) line."""
    home = here / "home"
    home.mkdir(exist_ok=True)
    script = "\n".join([*lines[:-1], " ".join([lines[-1], *extra])]) + "\n"
    env = {**os.environ, "HOME": str(home)}
    env.pop("XDG_CONFIG_HOME", None)  # Wireshark's folder is then ~/.config/wireshark
    return subprocess.run(["sh", "-e", "-c", script], cwd=here, capture_output=True, text=True,
                          env=env, check=True).stdout


def first_seen(cookies: list[str]) -> list[str]:
    return list(dict.fromkeys(cookies))


# -- the order of the key files ----------------------------------------------------------------

@pytest.fixture(scope="module")
def spokes(tmp_path_factory) -> tuple[Path, list[str]]:
    """60 spokes of hub-and-spoke: the run's folder and what it printed for Wireshark."""
    here = tmp_path_factory.mktemp("spokes")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run(here, TOPOLOGIES / "hub-and-spoke.yaml", "--param", "spokes=60")
    lines = out.getvalue().splitlines()
    return here, lines[next(n for n, t in enumerate(lines) if t.startswith("Wireshark:")):]


def test_the_key_file_lists_negotiations_in_the_order_they_started(spokes):
    here, _ = spokes
    negotiations = json.loads((here / "run" / "results.json").read_text())["negotiations"]
    keys = [line.split(",")[0] for line in (here / "cap.pcap.keys").read_text().splitlines()]
    assert len(keys) > 50
    # The summary's (and results.json's) numbering, which is the capture's order too.
    assert keys == first_seen([n["icookie"] for n in negotiations])


def test_the_esp_sa_file_lists_each_quick_mode_in_the_order_it_installed(tmp_path, capsys):
    """A day of rekeys: each Quick Mode's two SAs follow each other (initiator's outbound
    first), Quick Mode after Quick Mode, not one device's SAs and then the other's."""
    here = run(tmp_path, TOPOLOGIES / "rekey-day.yaml", "--until", "20m")
    results = json.loads((here / "run" / "results.json").read_text())
    spis = [line.split(",")[3].strip('"')
            for line in (here / "cap.pcap.esp_sa").read_text().splitlines()]
    pairs = [sa for sa in results["traffic"]["ipsec_sas"] if sa["device"] == "SRX-A"]
    assert len(pairs) >= 4
    assert spis == [f"0x{spi}" for sa in pairs for spi in (sa["outbound_spi"],
                                                           sa["inbound_spi"])]


# -- the printed command -----------------------------------------------------------------------

def test_run_prints_one_tshark_option_per_key_line(tmp_path, capsys):
    here = run(tmp_path, TOPOLOGIES / "traffic-ping.yaml")
    lines = printed(capsys, heading="Wireshark: the capture with its IKE messages and ESP "
                    "packets decrypted:")
    (ike,) = (here / "cap.pcap.keys").read_text().splitlines()
    esp = (here / "cap.pcap.esp_sa").read_text().splitlines()
    assert lines == ["  tshark -r cap.pcap \\",
                     f'      -o "uat:ikev1_decryption_table:{ike}" \\',
                     "      -o esp.enable_encryption_decode:TRUE \\",
                     f"      -o 'uat:esp_sa:{esp[0]}' \\",
                     f"      -o 'uat:esp_sa:{esp[1]}'"]


@needs_tshark
def test_the_printed_command_decrypts_messages_5_and_6_and_the_esp_packets(tmp_path, capsys):
    here = run(tmp_path, TOPOLOGIES / "traffic-ping.yaml")
    lines = printed(capsys)
    dissected = shell(here, lines, "-V")
    # Main Mode messages 5 and 6 (ID, CERT, SIG) and the Quick Mode (its IDs) decrypted.
    assert dissected.count("Payload: Signature (9)") == 2
    assert dissected.count("Payload: Identification (5)") == 2 + 4
    summary = shell(here, lines)
    assert summary.count("Echo (ping) request") == 4 and summary.count("Echo (ping) reply") == 4
    assert summary.count("10.1.0.1 → 10.2.0.9     UDP") == 200
    assert "ESP (SPI=" not in summary  # every ESP packet decrypted


def test_many_sas_print_the_two_step_way(spokes):
    """Past POSIX's smallest command line (4096 bytes), the tables go into Wireshark's
    personal configuration folder instead."""
    here, lines = spokes
    count = len((here / "cap.pcap.keys").read_text().splitlines())
    assert lines == [
        f"Wireshark: {count} IKE and 0 ESP SAs are too many for one command line; copy the "
        "key files into Wireshark's tables (this replaces the tables there), then read the "
        "capture:",
        "  mkdir -p ~/.config/wireshark",
        "  cp cap.pcap.keys ~/.config/wireshark/ikev1_decryption_table",
        "  tshark -r cap.pcap"]


@needs_tshark
def test_the_two_step_way_decrypts_many_rekeyed_esp_sas(tmp_path, capsys):
    """traffic-ping with a 180 s IPsec lifetime and a flow that keeps the tunnel in use: a
    rekey every two and a half minutes, far too many SAs for a command line."""
    text = (TOPOLOGIES / "traffic-ping.yaml").read_text()
    text = (text.replace("lifetime-seconds 3600", "lifetime-seconds 180")
            .replace("duration: 2m", "duration: 40m")
            .replace("rate: 20pps, duration: 10s", "rate: 1pps, duration: 38m"))
    (tmp_path / "rekeyed.yaml").write_text(text)
    here = run(tmp_path, tmp_path / "rekeyed.yaml")
    lines = printed(capsys)
    esp = (here / "cap.pcap.esp_sa").read_text().splitlines()
    assert len(esp) > 20
    assert lines == ["  mkdir -p ~/.config/wireshark",
                     "  cp cap.pcap.keys ~/.config/wireshark/ikev1_decryption_table",
                     "  cp cap.pcap.esp_sa ~/.config/wireshark/esp_sa",
                     "  tshark -r cap.pcap -o esp.enable_encryption_decode:TRUE"]
    summary = shell(here, lines)
    assert "ESP (SPI=" not in summary
    assert summary.count("10.1.0.1 → 10.2.0.9     UDP") == 38 * 60
    assert "Echo (ping) reply" in summary
    assert shell(here, lines, "-V").count("Payload: Signature (9)") == 2


# -- hostile names -----------------------------------------------------------------------------

def test_a_capture_name_is_quoted_for_the_shell_and_escaped_for_the_terminal():
    lines = tshark_instructions("it's here\x1b[2J.pcap", ["00,11"], [])
    assert lines[1] == "  tshark -r 'it'\"'\"'s here^[[2J.pcap' \\"


def test_a_run_without_keys_says_so():
    assert tshark_instructions("cap.pcap", [], []) == [
        "Wireshark: no negotiation derived keys; the capture reads as it is:",
        "  tshark -r cap.pcap"]


# -- the README --------------------------------------------------------------------------------

def readme_wireshark_blocks() -> list[str]:
    """The shell blocks of the README's Wireshark subsection."""
    text = (TOPOLOGIES.parent / "README.md").read_text()
    section = text.split("### Wireshark\n", 1)[1].split("\n## ", 1)[0]
    return [block.split("\n```", 1)[0] for block in section.split("```sh\n")[1:]]


def test_the_readmes_tshark_command_is_the_one_the_run_prints(tmp_path, capsys):
    run(tmp_path, "traffic-ping", pcap="esp.pcap")
    (one_command, _) = readme_wireshark_blocks()
    assert one_command.splitlines()[1:] == [line[2:].replace("      -o", "    -o")
                                            for line in printed(capsys)]


@needs_tshark
def test_the_readmes_wireshark_commands_work_as_written(tmp_path):
    """Each block pasted into a shell on a fresh machine (a home without Wireshark tables),
    from a folder where `ikesim` is on the PATH."""
    one_command, two_steps = readme_wireshark_blocks()
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("XDG_CONFIG_HOME", None)
    for block in (one_command, two_steps):
        shown = subprocess.run(["sh", "-e", "-c", block], cwd=tmp_path, capture_output=True,
                               text=True, env=env, check=True).stdout
        assert "10.1.0.1 → 10.2.0.1     ICMP 200 Echo (ping) request" in shown
        assert "ESP (SPI=" not in shown
    assert (home / ".config" / "wireshark" / "esp_sa").read_text() == \
        (tmp_path / "esp.pcap.esp_sa").read_text()
