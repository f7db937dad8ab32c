"""The journal's index by subject (ledger_journal.py `ops_by_subject_map`): a refund or
payout call finds the interrupted operation on its payment or token in one index entry
instead of walking the journal. An upgrade from the release before the index (main at
6535ec4, its source from git) indexes the operations already in the journal, so an
interrupted refund still comes first; at most MAX_OPS_PER_SUBJECT operations share a
subject (the next call answers `conflict`), and each settled one leaves the index."""

from __future__ import annotations

from merchant_client import PRICE, SYMBOL, code, ok, trap_at
from release_export import old_shop, release_root  # noqa: F401 - the fixtures
from test_merchant_adversarial import reconcile_row, rejected
from test_merchant_recovery import INTENT_STALE_SECONDS, log_length, paid_payment, retry_after_the_lease
from test_merchant_upgrade import upgrade

RELEASE = "6535ec4"  # the release before the index: its interrupted() walked the whole journal (old_shop)
MAX_OPS_PER_SUBJECT = 20  # ledger_ops_store.py
RECOVERY_SECONDS = 60  # the recovery timer's interval; it replays 5 operations per tick


def interrupt(shop, call, times: int) -> None:
    """`times` calls whose ledger transfer went through and whose callback trapped: each
    operation stays in the journal, in flight for its lease."""
    trap_at(shop, "after_call", "icrc1_transfer", times=times)
    for _ in range(times):
        assert rejected(call)


def replay_everything(shop) -> None:
    """Past the lease, the recovery timer replays what is left, 5 per tick."""
    shop.advance(INTENT_STALE_SECONDS + 1)
    for _ in range(MAX_OPS_PER_SUBJECT // 5):
        shop.advance(RECOVERY_SECONDS + 1)


def test_an_interrupted_refund_from_before_the_index_is_finished_first_after_the_upgrade(old_shop):  # noqa: F811
    shop = old_shop
    refund = shop.owner.merchant.refund_payment
    payment_id = paid_payment(shop)
    before = shop.alice.ledger.balance()
    interrupt(shop, lambda: refund(payment_id, [PRICE // 2], ["late"]), 1)  # in the old release's journal
    upgrade(shop)
    interrupt(shop, lambda: refund(payment_id, [1], []), MAX_OPS_PER_SUBJECT - 1)
    res = refund(payment_id, [1], [])[0]  # the index holds the one from before the upgrade too
    assert res["Err"].startswith("conflict: %d refunds of %s" % (MAX_OPS_PER_SUBJECT, payment_id)), res
    blocks = log_length(shop)
    first = retry_after_the_lease(shop, "refund_payment", payment_id, 1, None)["Ok"]
    assert first["amount"] == PRICE // 2 and first["reason"] == "late"  # the interrupted refund, not a new one
    replay_everything(shop)
    assert log_length(shop) == blocks  # every replay was a Duplicate
    refunds = ok(shop.owner.merchant.list_refunds([], [100]))["refunds"]
    assert sorted(r["amount"] for r in refunds) == [1] * (MAX_OPS_PER_SUBJECT - 1) + [PRICE // 2]
    refunded = PRICE // 2 + MAX_OPS_PER_SUBJECT - 1
    assert shop.alice.ledger.balance() == before + refunded
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refund_pending"] == 0 and payment["refunded"] == refunded
    rest = ok(refund(payment_id, [], []))  # every settled refund left the index: room again
    assert rest["amount"] == PRICE - refunded and rest["refund_id"] not in {r["refund_id"] for r in refunds}
    assert reconcile_row(shop)["matches"]


def test_payouts_of_a_token_share_its_index_entry_until_they_are_settled(shop):
    paid_payment(shop)
    payout = shop.owner.merchant.create_payout
    before = shop.owner.ledger.balance()
    interrupt(shop, lambda: payout(SYMBOL, 1, [], []), MAX_OPS_PER_SUBJECT)
    assert code(payout(SYMBOL, 1, [], [])) == "conflict"
    replay_everything(shop)
    assert len(ok(shop.owner.merchant.list_payouts([], [100]))["payouts"]) == MAX_OPS_PER_SUBJECT
    for _ in range(MAX_OPS_PER_SUBJECT + 1):  # each settled payout leaves the index at once
        ok(payout(SYMBOL, 1, [], []))
    assert shop.owner.ledger.balance() == before + 2 * MAX_OPS_PER_SUBJECT + 1
    row = reconcile_row(shop)
    assert row["matches"] and row["pending_outgoing"] == 0
