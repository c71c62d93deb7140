"""`show security ipsec statistics [index N]` against the guide's sample (Chapter 11, "Checking
IPsec SA Statistics"): the counters of IPsec SA index 2 as the guide shows them, compared word
by word (the PDF text collapses the spaces) and then with the columns Junos prints."""

from __future__ import annotations

import dataclasses

import pytest

from pki.store import CertificateStore
from sim.junos.ops import execute
from sim.junos.ops_grammar import ParseError
from tests.junos.ops_states import assert_like, state
from tests.junos.test_ops_golden_sa import CH11_CONFIG, NOW, ipsec

GUIDE = [
    "ESP Statistics:",
    "Encrypted bytes: 674784",
    "Decrypted bytes: 309276",
    "Encrypted packets: 7029",
    "Decrypted packets: 7029",
    "AH Statistics:",
    "Input bytes: 0",
    "Output bytes: 0",
    "Input packets: 0",
    "Output packets: 0",
    "Errors:",
    "AH authentication failures: 0, Replay errors: 0",
    "ESP authentication failures: 0, ESP decryption failures: 0",
    "Bad headers: 0, Bad trailers: 0",
]
COUNTERS = {"encrypted_bytes": 674784, "decrypted_bytes": 309276, "encrypted_packets": 7029,
            "decrypted_packets": 7029}


def device(*records):
    return state("host", config=CH11_CONFIG, store=CertificateStore(), now=NOW,
                 ipsec_sas=tuple(records))


def test_the_guides_sample_index_2():
    sa = dataclasses.replace(ipsec(2, left=1667), **COUNTERS)
    got = execute(device(sa), "show security ipsec statistics index 2").output
    assert_like(got, GUIDE)
    lines = got.splitlines()
    assert lines[1] == "  Encrypted bytes:           674784"
    assert lines[8] == "  Input packets:                  0"
    assert lines[12] == "  ESP authentication failures: 0, ESP decryption failures: 0"


def test_without_an_index_the_counters_of_every_sa_are_summed():
    first = dataclasses.replace(ipsec(2, left=1667), **COUNTERS, replay_errors=3)
    second = dataclasses.replace(ipsec(3, left=1667), encrypted_packets=1, bad_trailers=2,
                                 esp_authentication_failures=5, esp_decryption_failures=4,
                                 bad_headers=1)
    lines = execute(device(first, second), "show security ipsec statistics").output.splitlines()
    assert lines[3] == "  Encrypted packets:           7030"
    assert lines[11:] == ["  AH authentication failures: 0, Replay errors: 3",
                          "  ESP authentication failures: 5, ESP decryption failures: 4",
                          "  Bad headers: 1, Bad trailers: 2"]


def test_an_index_no_sa_has_prints_nothing_and_a_bad_index_is_refused():
    sa = ipsec(2, left=1667)
    assert execute(device(sa), "show security ipsec statistics index 5").output == ""
    with pytest.raises(ParseError) as refused:
        execute(device(sa), "show security ipsec statistics index two")
    assert str(refused.value) == "error: invalid index 'two': expecting a number"


def test_clear_sets_the_counters_to_zero_for_one_sa_or_all():
    first = dataclasses.replace(ipsec(2, left=1667), **COUNTERS, replay_errors=3)
    second = dataclasses.replace(ipsec(3, left=1667), encrypted_packets=1, bad_headers=2)
    one = execute(device(first, second), "clear security ipsec statistics index 2")
    assert (one.output, one.error) == ("", False)
    assert [sa.encrypted_packets + sa.replay_errors for sa in one.state.ipsec_sas] == [0, 1]
    assert execute(one.state, "show security ipsec statistics index 3").output.splitlines()[
        3] == "  Encrypted packets:              1"
    every = execute(device(first, second), "clear security ipsec statistics")
    assert execute(every.state, "show security ipsec statistics").output == execute(
        device(ipsec(2, left=1667)), "show security ipsec statistics index 2").output


def test_clear_refuses_an_index_no_sa_has_and_changes_nothing():
    sa = dataclasses.replace(ipsec(2, left=1667), **COUNTERS)
    before = device(sa)
    for line, answer in (("clear security ipsec statistics index 9",
                          "error: IPsec SA index 9 does not exist"),
                         ("clear security ipsec statistics index 2x",
                          "error: invalid index '2x': expecting a number")):
        outcome = execute(before, line)
        assert (outcome.output, outcome.error, outcome.state) == (answer, True, before)
