"""kmd's listing of its SAs (sim.world.sa_listing): found by identity, in the order they came up,
a counted record kept in its place."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.world.sa_listing import SaListing


@dataclass(frozen=True, kw_only=True)
class Record:
    index: int
    created: int = 0


def test_a_replaced_record_keeps_its_place_in_the_order_show_lists():
    listing: SaListing[Record] = SaListing()
    first, second, third = Record(index=1), Record(index=2), Record(index=3)
    for record in (first, second, third):
        listing.append(record)
    counted = replace(second, created=2)
    listing.replace(second, counted)
    assert list(listing) == [first, counted, third]
    assert second not in listing and counted in listing


def test_two_equal_records_are_two_sas():
    # Two SAs may look alike field for field; deleting one leaves the other listed.
    listing: SaListing[Record] = SaListing()
    older, newer = Record(index=1), Record(index=1)
    listing.append(older)
    listing.append(newer)
    listing.remove(newer)
    assert len(listing) == 1 and older in listing and newer not in listing
    assert next(iter(listing)) is older
    listing.clear()
    assert not listing and list(listing) == []
