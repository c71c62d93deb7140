"""`show security pki local-certificate detail`'s Auto-re-enrollment block: the trigger is when
re-enroll-trigger-time-percentage of the certificate's lifetime *remains* (the guide: "if the
renewal request is to be sent when the certificate's remaining lifetime is 10%, then configure
10")."""

from __future__ import annotations

import pytest

from sim.junos.ops import execute
from tests.junos.ops_states import at, hello_store, state

PROFILE = "set security pki ca-profile ms-ca enrollment url http://10.1.1.1/certsrv/mscep/mscep.dll"


def _detail_tail(config: str) -> list[str]:
    device = state("host", config=config, store=hello_store(), now=at("09- 1-2012 00:00"))
    outcome = execute(device, "show security pki local-certificate certificate-id hello detail")
    assert not outcome.error, outcome.output
    return outcome.output.splitlines()[-3:]


@pytest.mark.parametrize("percentage,trigger", [
    # hello is valid 08- 8-2012 17:02 .. 08- 8-2014 17:02: 730 days.
    (10, "05-27-2014 17:02"),   # 73 days before it expires
    (25, "02- 7-2014 05:02"),   # 182.5 days before it expires
    (99, "08-16-2012 00:14"),   # 1 % gone: 7.3 days (7 d 7 h 12 min) after it began
])
def test_the_trigger_is_the_percentage_of_the_lifetime_that_remains(percentage, trigger):
    config = "\n".join([
        PROFILE,
        "set security pki auto-re-enrollment certificate-id hello ca-profile-name ms-ca "
        f"challenge-password abc re-enroll-trigger-time-percentage {percentage}",
    ])
    assert _detail_tail(config) == [
        "  Auto-re-enrollment:",
        "    Status: Enabled",
        f"    Next trigger time: {trigger}",
    ]


def test_without_auto_re_enrollment_the_timer_is_not_started():
    assert _detail_tail(PROFILE) == [
        "  Auto-re-enrollment:",
        "    Status: Disabled",
        "    Next trigger time: Timer not started",
    ]
