"""What pki remembers (pki.proven) never changes what a run says: every shipped topology and
troubleshooting case, run with the memos on (from empty, so the run fills and reuses them) and
with them off, leaves the same run folder byte for byte (results.json, kmd and pkid logs,
stores, device state, plots) and the same `show` answers on every device."""

from __future__ import annotations

from pathlib import Path

import pytest

from pki import proven
from sim.cli.main import main
from tests.badinput.conftest import files_under

ROOT = Path(__file__).resolve().parents[2] / "topologies"
TOPOLOGIES = sorted(ROOT.rglob("*.yaml"))
# Hub-and-spoke ships with 1,000 spokes; a dozen share the same CAs, CRLs and hub just as well.
PARAMETERS = {"hub-and-spoke": ["--param", "spokes=12"]}
SHOWN = 4  # devices asked (the first, by name): the files compare every device
COMMANDS = ("show security pki ca-certificate", "show security pki local-certificate",
            "show security pki crl", "show security ike security-associations",
            "show security ipsec security-associations")


def _run(topology: Path, out: Path, capsys) -> dict[str, bytes | str]:
    argv = ["run", str(topology), "--out", str(out), "--quiet",
            *PARAMETERS.get(topology.stem, [])]
    assert main(argv) == 0, capsys.readouterr().err
    seen: dict[str, bytes | str] = dict(files_under(out))
    capsys.readouterr()
    for device in sorted(p.name for p in (out / "devices").iterdir())[:SHOWN]:
        for command in COMMANDS:
            code = main(["show", str(out), device, command])
            captured = capsys.readouterr()
            said = f"{code}\n{captured.out}{captured.err}".replace(str(out), "RUN")
            seen[f"{device}> {command}"] = said
    return seen


@pytest.mark.parametrize("topology", TOPOLOGIES, ids=[p.stem for p in TOPOLOGIES])
def test_memos_on_and_off_leave_the_same_run(tmp_path, capsys, topology):
    proven.forget_all()
    remembered = _run(topology, tmp_path / "on", capsys)
    with proven.caches_off():
        afresh = _run(topology, tmp_path / "off", capsys)
    assert "results.json" in remembered
    assert sorted(remembered) == sorted(afresh)
    assert [name for name in remembered if remembered[name] != afresh[name]] == []
