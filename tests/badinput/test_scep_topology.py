"""A CA's `scep:` entry in a topology: read into a ScepPolicy, and every bad one refused by
`ikesim run` in one line naming the file, the line and the entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pki.scep_ca import ScepPolicy
from sim.topology import parse_topology
from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import pair

SCEP_CA = ('  Scep-CA: {issuer: Root-CA, subject: "C=US, O=Test, CN=Scep-CA", key: rsa-1024,\n'
           '            scep: {SCEP}}')
GOOD = ('{url: "http://192.0.2.10/scep/Scep/", challenge-password: 123, pending-polls: 2, '
        'validity: 365d}')


def _with(scep: str, *, key: str = "rsa-1024") -> str:
    return pair(cas=SCEP_CA.replace("{SCEP}", scep).replace("rsa-1024", key))


def test_scep_entry_becomes_the_cas_policy():
    topology = parse_topology(_with(GOOD), source="t.yaml")
    assert topology.cas["Scep-CA"].scep == ScepPolicy(
        url="http://192.0.2.10/scep/Scep/", challenge_password="123", pending_polls=2,
        validity=dt.timedelta(days=365))
    assert topology.cas["Root-CA"].scep is None


def test_scep_by_server_hostname():
    text = _with('{url: "http://ca.example.net/certsrv/mscep/mscep.dll"}').replace(
        "latency: 10ms", "latency: 10ms, hostnames: [ca.example.net]")
    policy = parse_topology(text, source="t.yaml").cas["Scep-CA"].scep
    assert policy == ScepPolicy(url="http://ca.example.net/certsrv/mscep/mscep.dll")


@pytest.mark.parametrize(("scep", "fragments"), [
    ('{url: "http://198.51.100.7/scep/"}',
     ("cas.Scep-CA.scep.url: host '198.51.100.7' is not a server of this topology",)),
    ('{url: "https://192.0.2.10/scep/"}',
     ("cas.Scep-CA.scep.url: 'https://192.0.2.10/scep/' is not an http URL without a query",)),
    ('{url: "http://192.0.2.10/scep/?operation=GetCACert"}',
     ("cas.Scep-CA.scep.url:", "is not an http URL without a query")),
    ('{url: ["http://192.0.2.10/a/", "http://192.0.2.10/b/"]}',
     ("cas.Scep-CA.scep.url:", "is not one URL")),
    ("{challenge-password: x}", ("cas.Scep-CA.scep.url: missing",)),
    ('{url: "http://192.0.2.10/scep/", pending-polls: 1001}',
     ("cas.Scep-CA.scep.pending-polls: 1001 is out of range (0..1,000)",)),
    ('{url: "http://192.0.2.10/scep/", pending-polls: -1}',
     ("cas.Scep-CA.scep.pending-polls:",)),
    ('{url: "http://192.0.2.10/scep/", challenge-password: ""}',
     ("cas.Scep-CA.scep.challenge-password:", "1 to 255 printable characters")),
    ('{url: "http://192.0.2.10/scep/", challenge-password: "a\\u0007b"}',
     ("cas.Scep-CA.scep.challenge-password:",)),
    ('{url: "http://192.0.2.10/scep/", challenge-password: true}',
     ("cas.Scep-CA.scep.challenge-password:",)),
    ('{url: "http://192.0.2.10/scep/", validity: 1h}',
     ("cas.Scep-CA.scep.validity: '1h' is shorter than a day (1d)",)),
    ('{url: "http://192.0.2.10/scep/", retry: 3}',
     ("cas.Scep-CA.scep.retry: unknown entry",)),
    ("yes", ("cas.Scep-CA.scep: expected a mapping",)),
])
def test_bad_scep_entries_are_refused_in_one_line(ikesim, tmp_path: Path, scep, fragments):
    (tmp_path / "t.yaml").write_text(_with(scep))
    before = files_under(tmp_path)
    assert_refused(ikesim("run", "t.yaml"), "t.yaml line ", *fragments)
    assert not (tmp_path / "runs").exists()
    assert files_under(tmp_path) == before


def test_scep_needs_an_rsa_ca_key(ikesim, tmp_path: Path):
    (tmp_path / "t.yaml").write_text(_with(GOOD, key="ecdsa-256"))
    assert_refused(ikesim("run", "t.yaml"), "t.yaml line ",
                   "cas.Scep-CA.scep: SCEP needs an RSA CA key (key: rsa-2048)")


def test_two_cas_cannot_answer_one_url(ikesim, tmp_path: Path):
    text = pair(cas=SCEP_CA.replace("{SCEP}", '{url: "http://192.0.2.10/s/"}') + "\n"
                + SCEP_CA.replace("{SCEP}", '{url: "http://192.0.2.10/s/"}')
                .replace("Scep-CA", "Other-CA"))
    (tmp_path / "t.yaml").write_text(text)
    assert_refused(ikesim("run", "t.yaml"), "t.yaml line ",
                   "cas.Other-CA.scep.url: Scep-CA already answers SCEP there")


def test_a_scep_ca_cannot_take_the_index_files_name(ikesim, tmp_path: Path):
    text = pair(cas=SCEP_CA.replace("{SCEP}", '{url: "http://192.0.2.10/s/"}')
                .replace("Scep-CA:", "scep.json:"))
    (tmp_path / "t.yaml").write_text(text)
    assert_refused(ikesim("run", "t.yaml"), "t.yaml line ",
                   "cas.scep.json.scep: the name scep.json is taken in the run folder")
