"""`show security ipsec statistics [index N]`: the ESP and AH counters and the error block, as
the guide prints them (Chapter 11, "Checking IPsec SA Statistics"). With an index, the counters
of that SA pair; without, the sum over the device's SAs. ikesim negotiates ESP only, so the AH
counters stay 0. The guide's PDF text collapses spaces: the values are right-aligned as Junos
releases of the time print them (an inference, as in sim.junos.ops_sa).

`clear security ipsec statistics [index N]` sets the counters to 0 and prints nothing (the
guide recommends running the show command repeatedly to watch the counters move; clearing
them first is how engineers do it)."""

from __future__ import annotations

import dataclasses
import re

from sim.esp.sa import EspStatistics
from sim.junos.config_tokens import shown
from sim.junos.device_state import DeviceState
from sim.junos.ops_grammar import Command
from sim.junos.ops_outcome import Context, Outcome, failure, success
from sim.junos.ops_sa import remaining_seconds

__all__ = ["HANDLERS", "render_ipsec_statistics"]

_ZERO = EspStatistics().counters()
_NUMBER = re.compile(r"[0-9]{1,9}")

_ESP = (("Encrypted bytes:", "encrypted_bytes"), ("Decrypted bytes:", "decrypted_bytes"),
        ("Encrypted packets:", "encrypted_packets"),
        ("Decrypted packets:", "decrypted_packets"))
_AH = ("Input bytes:", "Output bytes:", "Input packets:", "Output packets:")


def _value(label: str, value: int) -> str:
    return f"  {label:<19}{value:>14}"


def render_ipsec_statistics(state: DeviceState, *, index: int | None = None) -> str:
    """The statistics block; nothing for an index no SA has."""
    sas = [sa for sa in state.ipsec_sas
           if remaining_seconds(sa.established, sa.lifetime_seconds, state.now) > 0
           and (index is None or sa.index == index)]
    if index is not None and not sas:
        return ""
    total = {name: sum(getattr(sa, name) for sa in sas) for name in _ZERO}
    return "\n".join([
        "ESP Statistics:",
        *(_value(label, total[name]) for label, name in _ESP),
        "AH Statistics:",
        *(_value(label, 0) for label in _AH),
        "Errors:",
        f"  AH authentication failures: 0, Replay errors: {total['replay_errors']}",
        f"  ESP authentication failures: {total['esp_authentication_failures']}, "
        f"ESP decryption failures: {total['esp_decryption_failures']}",
        f"  Bad headers: {total['bad_headers']}, Bad trailers: {total['bad_trailers']}",
    ])


def _clear(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    value = cmd.get("index")
    if value is not None and not _NUMBER.fullmatch(value):
        return failure(state, f"invalid index '{shown(value)}': expecting a number")
    index = None if value is None else int(value)
    if index is not None and not any(sa.index == index for sa in state.ipsec_sas):
        return failure(state, f"IPsec SA index {index} does not exist")
    cleared = tuple(dataclasses.replace(sa, **_ZERO) if index is None or sa.index == index
                    else sa for sa in state.ipsec_sas)
    return success(dataclasses.replace(state, ipsec_sas=cleared))


HANDLERS = {"clear ipsec statistics": _clear}
