"""`ikesim cli` on a real terminal, typed into as a person types: tmux runs it in a pane,
`send-keys` presses the keys and `capture-pane` reads the screen back as the person sees it.

Waiting for the screen is bounded (a slow machine waits longer), never an assertion on time.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "user@SRX-A> "
WAIT = 30.0  # seconds for the screen to show what a key press brings

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed: no terminal to type into")


class Pane:
    """One tmux pane on a server of its own (its own socket: no other tmux is touched)."""

    def __init__(self, socket: Path, command: list[str]) -> None:
        self.socket = socket
        env = {**os.environ, "TERM": "xterm-256color"}
        self.tmux("new-session", "-d", "-x", "100", "-y", "40", "-c", str(ROOT),
                  *command, env=env)
        self.tmux("set-option", "-g", "remain-on-exit", "on")

    def tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True,
                              text=True, check=True, timeout=60, env=env)
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-l", text)

    def screen(self) -> list[str]:
        lines = [line.rstrip() for line in self.tmux("capture-pane", "-p").split("\n")
                 if not line.startswith("Pane is dead")]  # tmux's own, once the CLI left
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def wait(self, check) -> list[str]:
        """The screen once `check(screen)` holds (the last screen seen if it never does)."""
        deadline = time.monotonic() + WAIT
        while True:
            screen = self.screen()
            if check(screen) or time.monotonic() > deadline:
                return screen
            time.sleep(0.05)

    def wait_last(self, line: str) -> list[str]:
        """The screen once its last line (the cursor's) reads `line`."""
        return self.wait(lambda screen: bool(screen) and screen[-1] == line.rstrip())

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True,
                       check=False, timeout=60)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A real run of the library's single-level scenario: SRX-A's tunnel to SRX-B is up."""
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["run", "--quiet", "--out", str(out), "single-level"]) == 0
    return out


@pytest.fixture
def pane(run_dir, tmp_path):
    # A socket path under the test's own folder, short enough for a Unix socket.
    socket = Path(f"/tmp/ikesim-cli-{os.getpid()}-{tmp_path.name[-20:]}")
    try:
        # The shell says how the CLI left, on the screen.
        cli = shlex.join([sys.executable, "-m", "sim.cli.main", "cli", str(run_dir), "SRX-A"])
        pane = Pane(socket, ["sh", "-c", f'{cli}; echo "exit status $?"'])
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no terminal could be opened for tmux: {exc}")
    try:
        assert pane.wait_last(PROMPT)[-1] == PROMPT.rstrip()
        yield pane
    finally:
        pane.close()
        socket.unlink(missing_ok=True)


def test_tab_completes_keywords_and_the_devices_own_sa_index(pane):
    pane.type("sh")
    pane.keys("Tab")
    pane.type("sec")
    pane.keys("Tab")
    pane.type("ik")
    pane.keys("Tab")
    pane.type("sec")
    pane.keys("Tab")
    pane.type("ind")
    pane.keys("Tab")
    assert pane.wait_last(PROMPT + "show security ike security-associations index")[-1] == \
        PROMPT + "show security ike security-associations index"
    pane.keys("Tab")  # the one IKE SA up on SRX-A
    line = PROMPT + "show security ike security-associations index 3824676"
    assert pane.wait_last(line)[-1] == line
    pane.keys("Enter")
    screen = pane.wait_last(PROMPT)
    assert screen[-4:] == [
        line,
        "  Index   State  Initiator cookie  Responder cookie  Mode           Remote Address",
        "  3824676 UP     1a4e48b7754ce61b  dba83e6cac665d00  Main           30.1.1.51",
        PROMPT.rstrip(),
    ]


def test_question_mark_lists_the_choices_at_once_with_their_help(pane):
    pane.type("show security pki local-certificate certificate-id ")
    pane.type("?")  # no Enter
    line = PROMPT + "show security pki local-certificate certificate-id "
    screen = pane.wait(lambda s: len(s) > 1 and s[-1] == line.rstrip())
    assert screen == [
        line + "?",
        "Possible completions:",
        "  <certificate-id-name> Certificate identifier",
        "  SRX-A                Certificate identifier",
        "  system-generated     Certificate identifier",
        line.rstrip(),
    ]
    pane.keys("C-u")
    pane.type("?")
    screen = pane.wait(lambda s: len(s) > 6 and s[-1] == PROMPT.rstrip())
    assert screen[-6:] == [
        PROMPT + "?",
        "Possible completions:",
        "  show                 Show system information",
        "  request              Make system-level requests",
        "  clear                Clear information in the system",
        PROMPT.rstrip(),
    ]


def test_a_typo_is_marked_and_history_brings_the_line_back(pane):
    pane.type("show securty pki crl")
    pane.keys("Enter")
    screen = pane.wait(lambda s: len(s) > 3 and s[-1] == PROMPT.rstrip())
    assert screen[-4:] == [
        PROMPT + "show securty pki crl",
        " " * len(PROMPT + "show ") + "^",
        "syntax error, expecting <command>.",
        PROMPT.rstrip(),
    ]
    pane.keys("Up")
    assert pane.wait_last(PROMPT + "show securty pki crl")[-1] == PROMPT + "show securty pki crl"


def test_ctrl_l_clears_the_screen(pane):
    pane.type("show log kmd | count")
    pane.keys("Enter")
    assert pane.wait(lambda s: len(s) > 2 and s[-1] == PROMPT.rstrip())[-2].startswith(
        "Count: ")
    pane.type("show")
    pane.keys("C-l")
    assert pane.wait(lambda s: len(s) == 1) == [PROMPT + "show"]


def test_ctrl_d_leaves(pane):
    pane.type("show log kmd | count")
    pane.keys("Enter")
    pane.wait(lambda s: len(s) > 2 and s[-1] == PROMPT.rstrip())
    pane.keys("C-d")
    # The prompt stays on screen, the CLI's exit status is 0.
    screen = pane.wait_last("exit status 0")
    assert screen[-3].startswith("Count: ")
    assert screen[-2:] == [PROMPT.rstrip(), "exit status 0"]
