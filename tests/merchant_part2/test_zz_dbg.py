import sys
sys.path.insert(0, "tests/merchant_part2"); sys.path.insert(0, "tests/merchant")
from test_webhooks import *
from part2_helpers import *
def test_dbg(shop, receiver):
    receiver.status = 500
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed"])
    paid_session(shop, shop.alice)
    drain(shop)
    t0 = shop.now()
    for i in range(30):
        shop.advance(600)
    for a in reversed(ok(shop.owner.merchant.list_webhook_attempts(webhook_id, [50]))):
        print(a["attempt"], (a["attempted_at"] - t0) / 1e9, a["delivery_id"], a["error"])
