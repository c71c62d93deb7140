"""Bad input around dead peer detection and device-down/up events: refused in one line naming
the file and line, exit 2, nothing written."""

from __future__ import annotations

from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import pair

EVENT = "  - {at: 10s, initiate: {device: Host-A, gateway: gw}}\n"


def _run(ikesim, tmp_path, text: str) -> str:
    (tmp_path / "bad.yaml").write_text(text)
    before = files_under(tmp_path)
    outcome = ikesim("run", "bad.yaml")
    assert files_under(tmp_path) == before and not (tmp_path / "runs").exists()
    return outcome


def _line(text: str, piece: str) -> int:
    return next(n for n, row in enumerate(text.splitlines(), 1) if piece in row)


def test_a_dpd_interval_out_of_range_is_one_line(ikesim, tmp_path):
    statement = "set security ike gateway gw dead-peer-detection interval 61"
    text = pair(a={"extra": statement})
    line = assert_refused(_run(ikesim, tmp_path, text), f"bad.yaml line {_line(text, statement)}",
                          "devices.Host-A.config",
                          "dead-peer-detection interval 61: value must be 10..60")
    assert line.startswith("ikesim: ")


def test_a_dpd_threshold_that_is_not_a_number_is_one_line(ikesim, tmp_path):
    statement = "set security ike gateway gw dead-peer-detection threshold 3\u0663"
    text = pair(b={"extra": statement})
    assert_refused(_run(ikesim, tmp_path, text), f"bad.yaml line {_line(text, statement)}",
                   "devices.Host-B.config", "value must be 1..5")


def test_device_down_for_a_device_that_does_not_exist_is_one_line(ikesim, tmp_path):
    text = pair() + EVENT.replace("initiate: {device: Host-A, gateway: gw}",
                                  "device-down: {device: Host-C}")
    assert_refused(_run(ikesim, tmp_path, text), f"bad.yaml line {_line(text, 'Host-C')}:",
                   "events.device-down.device: no device named 'Host-C'")


def test_device_up_with_an_unknown_argument_is_one_line(ikesim, tmp_path):
    text = pair() + EVENT.replace("initiate: {device: Host-A, gateway: gw}",
                                  "device-up: {device: Host-B, after: 1s}")
    assert_refused(_run(ikesim, tmp_path, text), f"bad.yaml line {_line(text, 'after')}:",
                   "events.device-up.'after': unknown argument")
