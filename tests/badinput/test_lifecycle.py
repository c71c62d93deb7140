"""Bad input for the tunnel's life: a `restart` event that names nothing or says too much is
one line, exit 2, and no run folder."""

from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_refused
from tests.sim.scenarios import pair


def _write(tmp_path, text: str) -> None:
    (tmp_path / "life.yaml").write_text(text)


@pytest.mark.parametrize(("event", "fragments"), [
    ("{at: 5s, restart: {device: Host-C}}", ("life.yaml line", "events.restart.device",
                                            "no device named 'Host-C'")),
    ("{at: 5s, restart: {device: Host-A, gateway: gw}}", ("events.restart.'gateway'",
                                                         "unknown argument")),
    ("{at: 5s, restart: Host-A}", ("events.restart: expected a mapping of device",)),
    ("{at: 5s, restart: {}}", ("events.restart: device is missing",)),
])
def test_a_restart_event_that_names_nothing_is_refused(ikesim, tmp_path, event, fragments):
    _write(tmp_path, pair(events=f"  - {event}"))
    outcome = ikesim("run", "life.yaml", "--out", "out")
    assert_refused(outcome, *fragments)
    assert not (tmp_path / "out").exists()
