"""Fuzzing every Phase-1 (Main and Aggressive Mode, signatures and pre-shared keys) and Quick
Mode state machine, in both roles, at every message of a real negotiation.

At each checkpoint the receiver is fed one piece of garbage made from the genuine message (see
mutations.py), then the genuine message. The SA must either

- drop the garbage: RemoteProtocolError (or LocalProtocolError), and nothing in the SA changed,
  its random stream included; then the genuine message completes the negotiation on both
  sides. Damage that breaks the framing (truncation, a header length that lies, the
  encryption flag flipped, a random body) must always be dropped; or
- take it as a message (a bit flip in a nonce, a proposal or a certificate is still a
  well-formed message): then it moves on or fails with a Junos error, and playing the rest of
  the exchange out raises nothing but the protocol's own errors.

Run in `make test` with a bounded, derandomized number of examples per checkpoint. The long
run, with fresh randomness and 20,000 examples per test:

    IKESIM_FUZZ=long .venv/bin/python -m pytest tests/sim/fuzz
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.ike.phase1 import LocalProtocolError, Phase1Done, RemoteProtocolError
from sim.ike.phase2 import QuickModeDone
from tests.sim.fuzz.checkpoints import phase1_checkpoints, quick_mode_checkpoints
from tests.sim.fuzz.mutations import STRUCTURAL, fuzz_settings, mutations
from tests.sim.ike.ike_pair import fingerprint

PHASE1 = [f"{mode}-{auth}-{n}" for mode, count in (("main", 6), ("aggressive", 3))
          for auth in ("signatures", "pre-shared-key") for n in range(1, count + 1)]
QUICK = [f"{label}-{n}" for label in ("quick", "quick-pfs") for n in (1, 2, 3)]


class Checkpoints(dict):
    def __repr__(self) -> str:  # hypothesis prints its arguments when an example fails
        return f"<{len(self)} checkpoints>"


@pytest.fixture(scope="session")
def checkpoints(peers, ca) -> Checkpoints:
    found = Checkpoints((cp.name, cp) for cp in [*phase1_checkpoints(peers, ca),
                                                 *quick_mode_checkpoints(peers, ca)])
    assert sorted(found) == sorted(PHASE1 + QUICK)
    return found


def feed(checkpoint, garbage: bytes) -> tuple[object, bool]:
    """A fresh pair at the checkpoint with `garbage` given to the receiver: (pair, dropped)."""
    pair = checkpoint.pair()
    receiver = checkpoint.receiving(pair)
    before = fingerprint(receiver)
    try:
        receiver.receive(garbage)
    except (RemoteProtocolError, LocalProtocolError):
        assert fingerprint(receiver) == before, "a dropped datagram changed the SA"
        return pair, True
    return pair, False


def completes(checkpoint, pair) -> None:
    checkpoint.receiving(pair).receive(checkpoint.message)
    pair.settle()
    done = (Phase1Done, QuickModeDone)
    assert isinstance(pair.outcome("initiator"), done), pair.outcome("initiator")
    assert isinstance(pair.outcome("responder"), done), pair.outcome("responder")


@pytest.mark.parametrize("name", PHASE1 + QUICK)
@fuzz_settings(40)
@given(data=st.data())
def test_garbage_is_dropped_or_taken_as_a_message_never_an_exception(checkpoints, name, data):
    checkpoint = checkpoints[name]
    kind, garbage = data.draw(mutations(checkpoint.message), label="garbage")
    pair, dropped = feed(checkpoint, garbage)
    if dropped:
        completes(checkpoint, pair)
        return
    assert kind not in STRUCTURAL, f"{kind} garbage was taken as a message"
    pair.settle()  # the rest plays out, whatever the receiver made of it


@pytest.mark.parametrize("name", PHASE1 + QUICK)
def test_every_datagram_of_the_negotiation_replayed_at_every_message(checkpoints, name):
    """Replays and reflections of the negotiation's own datagrams: answered, dropped or taken,
    never an exception; a replay that is dropped leaves the negotiation to complete."""
    checkpoint = checkpoints[name]
    for replay in checkpoint.datagrams:
        if replay == checkpoint.message:
            continue
        pair, dropped = feed(checkpoint, replay)
        if dropped:
            completes(checkpoint, pair)
        else:
            pair.settle()


@pytest.mark.parametrize("name", PHASE1 + QUICK)
def test_structural_damage_at_every_offset_is_dropped(checkpoints, name):
    """Truncations at about 64 offsets spread over the whole message, and the encryption
    flag flipped: each dropped, and the genuine message completes the negotiation after."""
    checkpoint = checkpoints[name]
    message = checkpoint.message
    damaged = [message[:n] for n in range(0, len(message), max(1, len(message) // 64))]
    damaged.append(message[:19] + bytes([message[19] ^ 1]) + message[20:])
    for garbage in damaged:
        pair, dropped = feed(checkpoint, garbage)
        assert dropped, garbage
    completes(checkpoint, pair)


def test_fuzz_settings_follow_the_long_profile(monkeypatch):
    monkeypatch.setenv("IKESIM_FUZZ", "long")
    assert fuzz_settings(40).max_examples != 40
    monkeypatch.delenv("IKESIM_FUZZ")
    assert fuzz_settings(40).max_examples == 40


