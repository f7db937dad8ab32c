"""`MerchantClient.tail_events` paging: newest-first pages of at most 100 are followed back
to the last event seen, so bursts of more than a page between two polls lose nothing."""

from __future__ import annotations

from ckpayment import MerchantClient


class PagedEvents(MerchantClient):
    """The canister's list_events contract (newest first, cursor = next older seq) over a
    Python list, to drive tail_events without a network."""

    def __init__(self):
        self.events = []
        self.calls = 0

    def add(self, n: int) -> None:
        start = len(self.events) + 1
        self.events += [
            {"seq": s, "event_type": "checkout.session.completed" if s % 2 else "payment.refunded"}
            for s in range(start, start + n)
        ]

    def list_events(self, cursor=None, limit=None, event_type=None):
        self.calls += 1
        items = [
            e
            for e in reversed(self.events)
            if (event_type is None or e["event_type"] == event_type) and (cursor is None or e["seq"] <= int(cursor))
        ]
        page = items[: limit or 20]
        more = len(items) > len(page)
        return {"events": page, "next_cursor": str(page[-1]["seq"] - 1) if more else None}


def test_bursts_larger_than_a_page_are_followed_back():
    api = PagedEvents()
    api.add(30)
    polls = iter([lambda: api.add(250), lambda: None])
    seen = []

    def stop():
        action = next(polls, None)
        if action is None:
            return True
        action()
        return False

    for event in api.tail_events(interval=0, since_seq=10, stop=stop):
        seen.append(event["seq"])
    assert seen == list(range(11, 281))


def test_default_start_is_the_latest_page_and_types_filter():
    api = PagedEvents()
    api.add(150)
    first = [e["seq"] for e in api.tail_events(interval=0, stop=lambda: True)]
    assert first == list(range(51, 151))
    refunds = list(api.tail_events("payment.refunded", 0, 0, lambda: True))
    assert len(refunds) == 75 and all(e["event_type"] == "payment.refunded" for e in refunds)
