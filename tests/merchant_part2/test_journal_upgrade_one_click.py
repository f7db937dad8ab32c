"""An upgrade from the release before the journal (main at 4fbc0a5) with a one-click charge
in flight: its charge lock (and the pre-authorization's `in_flight`) is taken into the
journal by post_upgrade, and the journal's recovery timer replays it once: the ledger
answers `Duplicate`, the use and the spend are kept, the payment is recorded once with its
metadata."""

from __future__ import annotations

from part2_helpers import code, ok
from release_export import old_shop, release_root  # noqa: F401 - the fixtures
from test_journal_upgrade import OLD_RELEASE
from test_merchant_upgrade import upgrade
from test_part2_recovery import CHARGE_STALE_SECONDS, assert_charged_once, trapped_charge

RELEASE = OLD_RELEASE  # what `old_shop` runs


def test_upgrade_takes_an_interrupted_one_click_charge_into_the_journal(old_shop):  # noqa: F811 - the imported fixture
    shop = old_shop
    auth_id, before = trapped_charge(shop, 700_000)  # the old release's charge lock is left
    blocks = shop.owner.ledger.blocks([(0, 0)])["log_length"]
    upgrade(shop)  # to this release
    assert code(shop.api.merchant.execute_one_click_payment(auth_id, 700_000, [])) == "conflict"  # still in flight
    assert ok(shop.api.merchant.get_pre_authorization(auth_id))["in_flight"]
    shop.advance(CHARGE_STALE_SECONDS + 60)  # the journal's recovery timer replays it
    payment_id = assert_charged_once(shop, auth_id, before, 700_000)
    assert shop.owner.ledger.blocks([(0, 0)])["log_length"] == blocks  # the replay was a Duplicate
    assert ok(shop.owner.merchant.get_payment_metadata(payment_id)) == [{"key": "order", "value": "A-1"}]
