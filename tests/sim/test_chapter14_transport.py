"""The network `ikesim cli` gives a device (sim.cli.ops_transport): the run folder's CA server
answers its enrollment URLs and CRL URLs, another path on that server is HTTP 404, another
address never answers; SCEP messages are numbered on in scep/."""

from __future__ import annotations

import datetime as dt

import pytest

from pki.enrollment import HttpRequest
from sim.cli.ops_transport import RunFolderServers, keep_messages
from sim.junos.ops_outcome import NoAnswer

NOW = dt.datetime(2012, 9, 17, 22, 20, tzinfo=dt.UTC)
CRL = "http://10.157.88.230:8080/crl/Root.crl"


def servers(loaded: list[int] | None = None) -> RunFolderServers:
    def load():
        if loaded is not None:
            loaded.append(1)
        return {}, {CRL: b"0\x82crl"}
    return RunFolderServers(load, now=NOW)


def test_crl_urls_are_served_other_paths_are_404_other_hosts_never_answer():
    net = servers()
    answer = net(HttpRequest(method="GET", url=CRL))
    assert (answer.status, answer.body) == (200, b"0\x82crl")
    missing = net(HttpRequest(method="GET", url="http://10.157.88.230:8080/crl/Nope.crl"))
    assert missing.status == 404
    with pytest.raises(NoAnswer, match=r"^no server answers at 10\.0\.0\.9$"):
        net(HttpRequest(method="GET", url="http://10.0.0.9/crl/Root.crl"))


def test_the_run_folder_is_read_at_the_first_request_only():
    loaded: list[int] = []
    net = servers(loaded)
    assert loaded == []
    net(HttpRequest(method="GET", url=CRL))
    net(HttpRequest(method="GET", url=CRL))
    assert loaded == [1]


def test_a_refused_run_folder_is_no_answer_in_one_line():
    def load():
        raise ValueError("pki/cas/scep/scep.json: not JSON")
    with pytest.raises(NoAnswer, match=r"^pki/cas/scep/scep\.json: not JSON$"):
        RunFolderServers(load, now=NOW)(HttpRequest(method="GET", url=CRL))


def test_messages_are_numbered_after_those_already_kept(tmp_path):
    first = keep_messages(tmp_path, "Host-A", (("PKCSReq", b"a"), ("CertRep", b"b")))
    assert [p.name for p in first] == ["0001-Host-A-PKCSReq.p7", "0002-Host-A-CertRep.p7"]
    (tmp_path / "scep" / "0007-Host-B-CertPoll.p7").write_bytes(b"c")  # another writer's
    again = keep_messages(tmp_path, "Host-A", (("GetCACert", b"d"),))
    assert [p.name for p in again] == ["0008-Host-A-GetCACert.p7"]
    assert again[0].read_bytes() == b"d"
    assert keep_messages(tmp_path, "Host-A", ()) == []
    with pytest.raises(ValueError):
        keep_messages(tmp_path, "Host-A", (("../x", b"e"),))
