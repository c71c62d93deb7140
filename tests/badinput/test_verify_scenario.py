"""`ikesim pki verify --at scenario[+OFFSET]` on hostile input: an --at value, a certificate
outside any run, and a run folder whose CRL history (pki/cas/crls.json, its CRL files) someone
else wrote. Each is one line, exit 2, no traceback, nothing written."""

import json
import os

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.sim.scenarios import pair


@pytest.fixture
def run(ikesim, tmp_path):
    (tmp_path / "t.yaml").write_text(pair(
        events="  - {at: 2m, revoke: {ca: CA-B, certificate: Host-B}}\n", duration="5m"))
    assert ikesim("run", "t.yaml", "--out", "run").code == 0
    return tmp_path / "run"


def _verify(ikesim, at, cert="run/pki/Host-B/local/Host-B.pem"):
    return ikesim("pki", "verify", cert, "--ca", "run/pki/cas/Root-CA.pem",
                  "--untrusted", "run/pki/cas/CA-B.pem", "--at", at)


INDEX = "run/pki/cas/crls.json"


@pytest.mark.parametrize(("at", "fragments"), [
    ("scenario+", ("--at 'scenario+': '' is not a duration",)),
    ("scenario+-5m", ("--at 'scenario+-5m': '-5m' is not a duration",)),
    ("scenario+1e400", ("--at 'scenario+1e400': '1e400' is not a duration",)),
    ("scenario+6m", ("--at 'scenario+6m': the run 'run' lasted only 5m",)),
    ("scenario+99999999999999999999d", ("is too long (at most 36500d, 100 years)",)),
    ("scenario\n+1m", ("--at 'scenario\\n+1m': not an ISO 8601 time",
                        "nor scenario or scenario+OFFSET (e.g. scenario+9m: a run's clock)")),
])
def test_bad_at_values(ikesim, run, at, fragments):
    before = files_under(run)
    assert_refused(_verify(ikesim, at), *fragments)
    assert files_under(run) == before


def test_a_certificate_outside_a_run(ikesim, run, tmp_path):
    (tmp_path / "Host-B.pem").write_bytes((run / "pki/Host-B/local/Host-B.pem").read_bytes())
    assert_refused(_verify(ikesim, "scenario", cert="Host-B.pem"),
                   "--at 'scenario': 'Host-B.pem' is not inside an ikesim run folder")


def test_a_run_without_crl_history(ikesim, run):
    os.remove(INDEX.replace("run/", f"{run}/"))
    assert_refused(_verify(ikesim, "scenario"), "crls.json: no such file",
                   "a run of an ikesim that kept no CRL history? run it again")


def _index(run):
    return json.loads((run / "pki/cas/crls.json").read_text())


def _set(index, path, value):
    *parents, last = path
    for key in parents:
        index = index[key]
    index[last] = value


@pytest.mark.parametrize(("path", "value", "problem"), [
    (("format",), 2, "not format 1"),
    (("start",), "yesterday", "start 'yesterday' is not a UTC time"),
    (("end_s",), -1, "end_s -1 is not a number of seconds in the run"),
    (("end_s",), 1e300, "end_s 1e+300 is not a number of seconds in the run"),
    (("end_s",), True, "end_s True is not a number of seconds in the run"),
    (("cas",), [], "'cas' is not a table"),
    (("cas", "../../etc"), {"crls": []}, "CA '../../etc'"),
    (("cas", "CA-B", "crls"), "all", "CA-B: no list of CRLs"),
    (("cas", "CA-B", "crls", 0), 7, "CA-B: a CRL entry is not a table"),
    (("cas", "CA-B", "crls", 0, "n"), "1", "CA-B: CRL number '1' is not 1..999999"),
    (("cas", "CA-B", "crls", 0, "n"), 10**30, "CA-B: CRL number 1000000000000000"),
    (("cas", "CA-B", "crls", 0, "published_s"), float("nan"),
     "published_s nan is not a number of seconds in the run"),
    (("cas", "CA-B", "crls", 0, "published_s"), 301, "published_s 301 is not a number"),
    (("cas", "CA-B", "not_kept"), "some", "CA-B: not_kept is not a table"),
])
def test_a_tampered_index(ikesim, run, path, value, problem):
    index = _index(run)
    _set(index, path, value)
    (run / "pki/cas/crls.json").write_text(json.dumps(index))
    before = files_under(run)
    assert_refused(_verify(ikesim, "scenario"), "pki/cas/crls.json", problem)
    assert files_under(run) == before


@pytest.mark.parametrize(("content", "problem"), [
    (b"{", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    (b"\xff\xfe", "not JSON"),
])
def test_an_index_that_is_not_json(ikesim, run, content, problem):
    (run / "pki/cas/crls.json").write_bytes(content)
    assert_refused(_verify(ikesim, "scenario"), "pki/cas/crls.json", problem)


def test_an_index_too_large_is_refused_before_reading(ikesim, run):
    with open(run / "pki/cas/crls.json", "wb") as f:
        f.truncate(33 * 1024 * 1024)  # sparse: nothing is written but its size
    assert_refused(_verify(ikesim, "scenario"),
                   "crls.json: is 34603008 bytes; the limit is 33554432 bytes")


def test_an_index_planted_as_a_symlink(ikesim, run, tmp_path):
    (tmp_path / "elsewhere.json").write_text(json.dumps(_index(run)))
    (run / "pki/cas/crls.json").unlink()
    (run / "pki/cas/crls.json").symlink_to(tmp_path / "elsewhere.json")
    assert_refused(_verify(ikesim, "scenario"), "crls.json: leaves the folder")
    # A symlink that stays in the run is not followed either: ikesim wrote a regular file.
    (run / "pki/cas/crls.json").unlink()
    (run / "pki/cas/crls.json").symlink_to(run / "results.json")
    assert_refused(_verify(ikesim, "scenario"),
                   "crls.json: is a symbolic link; ikesim does not follow it")


def test_a_crl_file_planted_as_a_symlink_out_of_the_run(ikesim, run, tmp_path):
    crl = run / "pki/cas/crls/CA-B/crl-0002.pem"
    (tmp_path / "outside.pem").write_bytes(crl.read_bytes())
    crl.unlink()
    crl.symlink_to(tmp_path / "outside.pem")
    assert_refused(_verify(ikesim, "scenario"), "crl-0002.pem: leaves the folder")


def test_a_crl_file_that_is_not_a_crl(ikesim, run):
    (run / "pki/cas/crls/CA-B/crl-0002.pem").write_bytes(b"\x1b[2Jnot a CRL\n")
    outcome = assert_refused(_verify(ikesim, "scenario"), "crl-0002.pem")
    assert "\x1b" not in outcome
