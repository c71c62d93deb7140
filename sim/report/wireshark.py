"""How to read a run's capture in Wireshark: the lines of its two key tables and the exact
tshark command `ikesim run --pcap` prints for it.

Wireshark keeps the IKEv1 keys in its `ikev1_decryption_table` UAT (Protocols > ISAKMP >
IKEv1 Decryption Table: initiator cookie and encryption key, hex, unquoted) and the ESP keys in
`esp_sa` (Protocols > ESP > ESP SAs: every field quoted). tshark takes each line as
`-o uat:TABLE:LINE`, which is what the short form prints; past POSIX's smallest ARG_MAX a
command line may not run, so for many SAs it prints the two-step way instead: copy the files
into Wireshark's personal configuration folder, where both Wireshark and tshark read them.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from pki.escape import escape

IKE_TABLE = "ikev1_decryption_table"
ESP_TABLE = "esp_sa"
ESP_DECODE = "esp.enable_encryption_decode:TRUE"  # off by default: ESP stays opaque
CONFIG_FOLDER = "~/.config/wireshark"  # `tshark -G folders`: "Personal configuration"
# _POSIX_ARG_MAX: the smallest argument space a POSIX system gives a command.
COMMAND_MAX = 4096


def ike_key_lines(key_table: Sequence[tuple[bytes, bytes]]) -> list[str]:
    """FILE.keys, one `cookie,key` line per IKE SA (hex, as Wireshark writes the table)."""
    return [f"{icookie.hex()},{key.hex()}" for icookie, key in key_table]


def tshark_instructions(pcap: str, ike_lines: Sequence[str],
                        esp_lines: Sequence[str]) -> list[str]:
    """What `ikesim run --pcap` prints under the capture: a heading, then shell lines to
    paste as they are (`pcap` as the user gave it, quoted for the shell)."""
    options = [f'-o "uat:{IKE_TABLE}:{line}"' for line in ike_lines]
    if esp_lines:
        # The esp_sa fields are quoted with '"', so the option is single-quoted.
        options += [f"-o {ESP_DECODE}"] + [f"-o 'uat:{ESP_TABLE}:{line}'" for line in esp_lines]
    read = f"tshark -r {shlex.quote(pcap)}"
    if not options:
        return [escape(line) for line in (
            "Wireshark: no negotiation derived keys; the capture reads as it is:", f"  {read}")]
    if len(" ".join([read, *options])) <= COMMAND_MAX:
        lines = ["Wireshark: the capture with its IKE messages"
                 + (" and ESP packets" if esp_lines else "") + " decrypted:",
                 *_continued([read, *options])]
    else:
        # Too long for one command line: install the tables, then read the capture.
        lines = [f"Wireshark: {len(ike_lines)} IKE and {len(esp_lines)} ESP SAs are too many "
                 f"for one command line; copy the key files into Wireshark's tables (this "
                 f"replaces the tables there), then read the capture:",
                 f"  mkdir -p {CONFIG_FOLDER}",
                 f"  cp {shlex.quote(pcap + '.keys')} {CONFIG_FOLDER}/{IKE_TABLE}"]
        if esp_lines:
            lines.append(f"  cp {shlex.quote(pcap + '.esp_sa')} {CONFIG_FOLDER}/{ESP_TABLE}")
        lines.append(f"  {read}" + (f" -o {ESP_DECODE}" if esp_lines else ""))
    # The path came from the command line: nothing in it may act on the terminal.
    return [escape(line) for line in lines]


def _continued(words: list[str]) -> list[str]:
    """One command over several lines, each but the last ending in a backslash."""
    return [("  " if n == 0 else "      ") + word + (" \\" if n < len(words) - 1 else "")
            for n, word in enumerate(words)]
