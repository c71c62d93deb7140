"""Running tshark on a capture with an IKEv1 key table, as Wireshark's user would."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not "
                                  "installed (.ci/run installs Debian's tshark)")


def dissect(pcap: Path, key_table: Iterable[tuple[bytes, bytes]], home: Path) -> str:
    """`tshark -r PCAP -V` with `key_table` ((initiator cookie, key) pairs) as Wireshark's
    ikev1_decryption_table under a fresh `home`."""
    config = home / ".config" / "wireshark"
    config.mkdir(parents=True)
    (config / "ikev1_decryption_table").write_text(
        "".join(f"{cookie.hex()},{key.hex()}\n" for cookie, key in key_table))
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    return subprocess.run(["tshark", "-r", str(pcap), "-V"], capture_output=True, text=True,
                          env=env, check=True).stdout
