"""Growing the data through real calls with metering off: checkout sessions created by the
merchant's server, sessions paid with the ICRC-2 flow (the merchant canister pulls the
amount from the customer on the ledger), and merchant canisters deployed by the factory.
Each fill checks its result against the canister's own counters, so a silently failing
call cannot inflate N."""

from __future__ import annotations

from benchmarks.costs.world import SYMBOL, BenchError, World, deploy_merchant, ok, principal
from localnet.runtime.typed import decode_reply, encode_call

PRICE = 5_000_000
MAX_PER_OWNER = 5  # the factory's default max_canisters_per_owner


def session_args(client_reference_id=None) -> dict:
    return {
        "modal_config_id": None,
        "amount": PRICE,
        "currency_token": SYMBOL,
        "metadata": [],
        "customer_email": None,
        "client_reference_id": client_reference_id,
        "success_url": "https://shop.example.com/ok?s={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example.com/cancel",
        "expires_in_seconds": None,
        "idempotency_key": None,
        "custom_domain": None,
        "line_items": None,
    }


def new_session(w: World) -> dict:
    """One open session created by the server principal (unmetered)."""
    return ok(
        w.call(w.server, w.merchant, "create_checkout_session_with_options", session_args()),
        "create_checkout_session_with_options",
    )


def session_count(w: World) -> int:
    stats = ok(w.call(w.owner, w.merchant, "get_checkout_session_analytics"), "get_checkout_session_analytics")
    return stats["total_sessions"]


TOP_UP = 10**14  # the factory's largest top-up
TOP_UP_EVERY = 10_000  # calls; a call costs the merchant well under 10**9 cycles


def fund(w: World) -> None:
    """Top the merchant canister up through the factory, as its owner would: 100,000
    payments and sessions burn more cycles than the factory's initial deposit."""
    ok(w.call(w.admin, w.factory, "top_up_user_canister", w.merchant, TOP_UP), "top_up_user_canister")


def fill_sessions(w: World, count: int) -> None:
    """`count` more open sessions."""
    if count <= 0:
        return
    expected = session_count(w) + count
    method = "create_checkout_session_with_options"
    arg = encode_call(w.net, w.merchant, method, [session_args()])
    for i in range(count):
        if i % TOP_UP_EVERY == 0:
            fund(w)
        w.net.update_call(w.server, w.merchant, method, arg)
    got = session_count(w)
    if got != expected:
        raise BenchError(f"session fill: expected {expected} sessions, the merchant has {got}")


def paid_count(w: World) -> int:
    stats = ok(w.call(w.owner, w.merchant, "get_checkout_session_analytics"), "get_checkout_session_analytics")
    return stats["completed_sessions"]


def pay_session(w: World, customer, session_id: str) -> dict:
    return ok(w.call(customer, w.merchant, "pay_checkout_session", session_id), "pay_checkout_session")


def fill_payments(w: World, count: int) -> None:
    """`count` more sessions, each paid by ICRC-2 by one of the customers in turn."""
    if count <= 0:
        return
    expected = paid_count(w) + count
    create = "create_checkout_session_with_options"
    create_arg = encode_call(w.net, w.merchant, create, [session_args()])
    for i in range(count):
        if i % TOP_UP_EVERY == 0:
            fund(w)
        session = decode_reply(w.net, w.merchant, create, w.net.update_call(w.server, w.merchant, create, create_arg))
        session_id = ok(session, "create session to pay")["session_id"]
        customer = w.customers[i % len(w.customers)]
        pay = "pay_checkout_session"
        reply = w.net.update_call(customer, w.merchant, pay, encode_call(w.net, w.merchant, pay, [session_id]))
        ok(decode_reply(w.net, w.merchant, pay, reply), "pay_checkout_session")
    got = paid_count(w)
    if got != expected:
        raise BenchError(f"payment fill: expected {expected} paid sessions, the merchant has {got}")


def merchant_count(w: World) -> int:
    return w.call(w.admin, w.factory, "get_factory_stats")["total_deployments"]


def fill_merchants(w: World, count: int) -> None:
    """`count` more merchant canisters deployed by the factory (owners hold up to 5 each,
    the factory's default quota)."""
    start = merchant_count(w)
    for i in range(start, start + count):
        deploy_merchant(w, principal(f"merchant-owner-{i // MAX_PER_OWNER}"), f"Shop {i}")
    w.net.run_until_idle()
    got = merchant_count(w)
    if got != start + count:
        raise BenchError(f"factory fill: expected {start + count} deployments, the factory has {got}")


def page_count(w: World, method: str, field: str, limit: int = 100) -> int:
    """Items on the first page (at most `limit`) of a paginated list."""
    return len(ok(w.call(w.owner, w.merchant, method, None, limit), method)[field])


def fill_refunds(w: World, count: int) -> None:
    """Refund the `count` newest payments in full (real ledger transfers back)."""
    payments = ok(w.call(w.owner, w.merchant, "list_payments", None, count), "list_payments")["payments"]
    if len(payments) < count:
        raise BenchError(f"refund fill: only {len(payments)} payments to refund, {count} wanted")
    before = page_count(w, "list_refunds", "refunds")
    for p in payments:
        ok(w.call(w.owner, w.merchant, "refund_payment", p["payment_id"], None, "benchmark fill"), "refund_payment")
    if page_count(w, "list_refunds", "refunds") < min(100, before + count):
        raise BenchError("refund fill: the refunds do not show in list_refunds")


def fill_payouts(w: World, count: int, amount: int = 100_000) -> None:
    """`count` payouts of the merchant's balance to its owner (real ledger transfers)."""
    before = page_count(w, "list_payouts", "payouts")
    account = {"owner": w.owner, "subaccount": None}
    for _ in range(count):
        ok(w.call(w.owner, w.merchant, "create_payout", SYMBOL, amount, account, "benchmark fill"), "create_payout")
    if page_count(w, "list_payouts", "payouts") < min(100, before + count):
        raise BenchError("payout fill: the payouts do not show in list_payouts")


def fill_capped_lists(w: World, count: int = 110) -> None:
    """Full pages from the first stage on for the capped lists that only the benchmark's
    own calls would feed: `count` principals on the factory's global blocklist (its change
    log and newest-blocked list) and `count` addresses blocked by the merchant (each raises
    a security alert)."""
    for i in range(count):
        ok(
            w.call(w.admin, w.factory, "add_to_global_blocklist", principal(f"blocked-{i}"), "benchmark fill"),
            "add_to_global_blocklist",
        )
        ok(
            w.call(
                w.owner,
                w.merchant,
                "block_address_for_merchant",
                principal(f"merchant-blocked-{i}").to_str(),
                "benchmark fill",
            ),
            "block_address_for_merchant",
        )
    changes = w.call(w.admin, w.factory, "get_global_blocklist_changes", 0, 100)
    alerts = ok(w.call(w.owner, w.merchant, "get_security_alerts"), "get_security_alerts")
    if len(changes["changes"]) < min(100, count) or len(alerts) < min(100, count):
        raise BenchError("capped-list fill: the blocklist changes or alerts do not show")
