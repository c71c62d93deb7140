"""A simulated run writes its logs in batches: whenever the run stops (its end, or `--until`), the
files hold every line the daemons logged, exactly as `show log` lists them."""

from __future__ import annotations

from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.scenarios import pair


def test_the_log_files_are_complete_whenever_the_run_stops(tmp_path):
    scenario = Scenario.build(parse_topology(pair(), source="t.yaml"), out=tmp_path / "run")
    for until in (1.5, 600):
        scenario.run(until=until)
        for name in ("Host-A", "Host-B"):
            device = scenario.devices[name]
            for log, file in ((device.kmd_log, "kmd"), (device.pkid_log, "pkid")):
                text = (tmp_path / "run" / "logs" / name / file).read_text()
                assert text == "".join(f"{line}\n" for line in log.lines), (until, name, file)
    kmd = scenario.devices["Host-A"].kmd_log.lines
    assert any("Phase-1 [initiator] done" in line for line in kmd)
