"""A capture name from the command line is hostile: what `ikesim run --pcap` prints about it
(the Capture line and the tshark command) holds nothing a terminal would act on, and the
command names the file the run wrote, quoted for the shell."""

from __future__ import annotations

from pathlib import Path

TOPOLOGY = Path(__file__).resolve().parents[2] / "topologies" / "traffic-ping.yaml"


def test_a_capture_name_with_control_characters_is_printed_escaped(ikesim, tmp_path):
    name = "cap\x1b]0;owned\x07 it's.pcap"
    outcome = ikesim("run", str(TOPOLOGY), "--out", "run", "--pcap", name, "--quiet")
    assert outcome.code == 0, outcome.err
    assert (tmp_path / name).stat().st_size > 1000
    assert "\x1b" not in outcome.out and "\x07" not in outcome.out
    lines = outcome.out.splitlines()
    assert "Capture:  cap^[]0;owned^G it's.pcap (keys: cap^[]0;owned^G it's.pcap.keys, " \
           "ESP keys: cap^[]0;owned^G it's.pcap.esp_sa)" in lines
    assert "  tshark -r 'cap^[]0;owned^G it'\"'\"'s.pcap' \\" in lines
