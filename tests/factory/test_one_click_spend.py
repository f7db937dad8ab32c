"""The factory's cross-merchant one-click limit through its one-call-per-charge methods
(`reserve_one_click_spend`: valued with the factory's own rates, carrying the merchant's
queued settlements; `settle_one_click_reservations`: the batch from the merchant's timer),
called by `probes`, canisters the factory deployed as merchants."""

from __future__ import annotations

import pytest
from factory_client import code, default_settings, ok, one
from kybra import Principal
from ledger_client import LEDGER_ENTRY, SYMBOL, XRC_DID, XRC_ENTRY, ledger_init_arg
from xrc_fixture import CRYPTO, FIAT, asset

CENT = 100_000  # base units of LTT (8 decimals) at 10 USD


@pytest.fixture
def network(probes, server, deploy, actor, new_identity):
    """The factory pricing LTT at 10 USD with a daily limit of 50 cents, and its first two
    probes registered for one-click: (factory, ledger id, [probe actor, probe actor]) (the
    probes' ids are probes.items[i][1])."""
    f = probes.factory
    xrc_admin = new_identity()
    xrc_id = deploy(server, XRC_ENTRY, f'(opt vec {{ principal "{xrc_admin.sender().to_str()}" }})')
    ledger_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(xrc_admin.sender().to_str(), 10**12)]))
    ok(f.admin.update_factory_settings(default_settings(xrc_canister=[xrc_id], daily_cross_merchant_limit=50)))
    ok(f.admin.add_market_token(SYMBOL, ledger_id, SYMBOL))
    with server.lock:
        now_s = server.network.time_ns // 10**9
    rate = {"base_asset": asset(SYMBOL, CRYPTO), "quote_asset": asset("USD", FIAT), "rate": 10 * 10**9}
    ok(actor(server, xrc_id, xrc_admin, XRC_DID).set_rates([dict(rate, timestamp=now_s)]))
    ok(f.admin.update_global_token_rates())
    merchants = []
    for _, cid, probe, _ in probes.items[:2]:
        ok(probe.probe_register_one_click(cid))
        merchants.append(probe)
    return f, ledger_id, merchants


def reserve_args(customer: str, ledger_id: str, amount: int, settlements: list | None = None) -> dict:
    return {
        "customer": customer,
        "token_symbol": SYMBOL,
        "ledger": ledger_id,
        "amount": amount,
        "settlements": settlements or [],
    }


def reserve(probe, customer: str, ledger_id: str, amount: int, settlements: list | None = None) -> dict:
    """The reply's Ok: {reservation, settlements}."""
    return ok(probe.probe_reserve_one_click(reserve_args(customer, ledger_id, amount, settlements)))


def spend(f) -> dict:
    return one(f.anon.get_global_payment_metrics())["global_spending_insights"]


def held_below(f, customer: str, cents: int) -> bool:
    """True while `cents` more still fit the customer's day (spent + reserved + cents <= limit)."""
    return ok(f.anon.validate_cross_merchant_limits(customer, cents))


def test_the_factory_values_the_charge_and_the_limit_holds(network, new_identity):
    """30 cents in base units are valued by the factory (the reply says 30) and held; the
    next 30 do not fit; an untracked token or another ledger under the tracked symbol
    cannot be valued, so nothing is held (fails closed)."""
    f, ledger_id, (m1, _) = network
    customer = new_identity().sender().to_str()
    first = reserve(m1, customer, ledger_id, 30 * CENT)["reservation"]["Ok"]
    assert first["usd_cents"] == 30 and first["reservation_id"].startswith("rsv_")
    assert held_below(f, customer, 20) and not held_below(f, customer, 21)
    assert code(reserve(m1, customer, ledger_id, 30 * CENT)["reservation"]) == "limit_exceeded"
    other_ledger = "ryjl3-tyaaa-aaaaa-aaaba-cai"
    assert code(reserve(m1, customer, other_ledger, CENT)["reservation"]) == "price_unavailable"
    args = dict(reserve_args(customer, ledger_id, CENT), token_symbol="NOPE")
    assert code(ok(m1.probe_reserve_one_click(args))["reservation"]) == "price_unavailable"
    assert code(reserve(m1, "2vxsx-fae", ledger_id, CENT)["reservation"]) == "invalid_argument"
    assert held_below(f, customer, 20) and not held_below(f, customer, 21)


def test_concurrent_reservations_at_two_merchants_cannot_pass_the_limit(network, probes, server, new_identity):
    """Two merchants reserve 30 cents each for one customer at once (50 cents a day): each
    reservation is checked and held in one message, so exactly one passes, in any order."""
    from localnet.runtime.typed import decode_reply, encode_call

    f, ledger_id, merchants = network
    customer = new_identity().sender().to_str()
    net = server.network
    with server.lock:
        submitted = []
        for _, cid_text, _, _ in probes.items[:2]:
            cid = Principal.from_str(cid_text)
            arg = encode_call(net, cid, "probe_reserve_one_click", [reserve_args(customer, ledger_id, 30 * CENT)])
            submitted.append((cid, net.submit(Principal.anonymous(), cid, "probe_reserve_one_click", arg)))
        net.run_interleaved(seed=7)
        outcomes = []
        for cid, mid in submitted:
            st = net.status(mid)
            assert st.state == "replied", (st.state, st.reject_message)
            outcomes.append(decode_reply(net, cid, "probe_reserve_one_click", st.reply)["Ok"]["reservation"])
    passed = [o for o in outcomes if "Ok" in o]
    refused = [o["Err"] for o in outcomes if "Err" in o]
    assert len(passed) == 1 and len(refused) == 1 and refused[0].startswith("limit_exceeded"), outcomes
    assert held_below(f, customer, 20) and not held_below(f, customer, 21)


def test_a_settlement_sent_twice_counts_once(network, new_identity):
    """A batch whose reply was lost is sent again: the confirmed reservation is spend once
    (the second copy finds it ended: a no-op), the released one gives its hold back once."""
    f, ledger_id, (m1, _) = network
    customer = new_identity().sender().to_str()
    kept = reserve(m1, customer, ledger_id, 20 * CENT)["reservation"]["Ok"]["reservation_id"]
    dropped = reserve(m1, customer, ledger_id, 20 * CENT)["reservation"]["Ok"]["reservation_id"]
    assert not held_below(f, customer, 11)  # 40 of 50 held
    batch = [{"reservation_id": kept, "confirmed": True}, {"reservation_id": dropped, "confirmed": False}]
    first = ok(m1.probe_settle_one_click(batch))
    assert (first["settled"], first["already_ended"], first["refused"]) == (2, 0, [])
    again = ok(m1.probe_settle_one_click(batch))  # the re-sent copy
    assert (again["settled"], again["already_ended"], again["refused"]) == (0, 2, [])
    assert spend(f)["one_click_payments"] == 1 and spend(f)["one_click_volume_usd_cents"] == 20
    assert held_below(f, customer, 30) and not held_below(f, customer, 31)  # 20 spent, nothing held
    # the same copy piggy-backed on the next reservation is a no-op too
    carried = reserve(m1, customer, ledger_id, 10 * CENT, batch)
    assert carried["settlements"]["already_ended"] == 2 and "Ok" in carried["reservation"]
    assert spend(f)["one_click_payments"] == 1 and not held_below(f, customer, 21)


def test_settlements_carried_by_a_refused_reservation_are_applied(network, new_identity):
    """A reservation refused over the limit still applies the settlements it carries: the
    released hold is given back in the same message, so a second try fits."""
    f, ledger_id, (m1, _) = network
    customer = new_identity().sender().to_str()
    held = reserve(m1, customer, ledger_id, 40 * CENT)["reservation"]["Ok"]["reservation_id"]
    release = [{"reservation_id": held, "confirmed": False}]
    reply = reserve(m1, customer, ledger_id, 60 * CENT, release)  # over the limit on its own
    assert code(reply["reservation"]) == "limit_exceeded" and reply["settlements"]["settled"] == 1
    assert "Ok" in reserve(m1, customer, ledger_id, 50 * CENT)["reservation"]


def test_a_merchant_cannot_settle_another_merchants_reservation(network, new_identity):
    """The second merchant's confirmation or release of the first one's reservation is
    refused and leaves it open: its owner still ends it."""
    f, ledger_id, (m1, m2) = network
    customer = new_identity().sender().to_str()
    rid = reserve(m1, customer, ledger_id, 40 * CENT)["reservation"]["Ok"]["reservation_id"]
    for confirmed in (False, True):
        receipt = ok(m2.probe_settle_one_click([{"reservation_id": rid, "confirmed": confirmed}]))
        assert receipt["settled"] == 0 and [r["reservation_id"] for r in receipt["refused"]] == [rid]
        assert receipt["refused"][0]["error"].startswith("not_found")
    carried = reserve(m2, customer, ledger_id, CENT, [{"reservation_id": rid, "confirmed": False}])
    assert [r["reservation_id"] for r in carried["settlements"]["refused"]] == [rid]
    assert not held_below(f, customer, 10)  # 40 + 1 held: the release was not applied
    assert ok(m1.probe_settle_one_click([{"reservation_id": rid, "confirmed": True}]))["settled"] == 1
    assert spend(f)["one_click_payments"] == 1 and spend(f)["one_click_volume_usd_cents"] == 40


def test_strangers_cannot_reserve_or_settle(network, probes, new_identity):
    """Only one-click merchant canisters of this factory: a person, and a probe the factory
    deployed but that never registered for one-click, are refused as a whole (Err)."""
    f, ledger_id, (m1, _) = network
    customer = new_identity().sender().to_str()
    rid = reserve(m1, customer, ledger_id, 10 * CENT)["reservation"]["Ok"]["reservation_id"]
    stranger = f.as_(new_identity())
    assert code(stranger.settle_one_click_reservations([{"reservation_id": rid, "confirmed": False}])) == "unauthorized"
    assert code(stranger.reserve_one_click_spend(reserve_args(customer, ledger_id, CENT))) == "unauthorized"
    unregistered = probes.items[2][2]
    assert code(unregistered.probe_reserve_one_click(reserve_args(customer, ledger_id, CENT))) == "failed_precondition"
    too_many = [{"reservation_id": "rsv_%d" % i, "confirmed": False} for i in range(101)]
    assert code(m1.probe_settle_one_click(too_many)) == "invalid_argument"
    assert not held_below(f, customer, 41)  # still held


def test_a_reservation_left_open_expires_and_its_late_settlement_is_a_no_op(network, new_identity):
    """A reservation nobody ended holds its day, then the factory's timer ends it (as
    released) after the next whole UTC day, freeing the merchant's open slot; the charge's
    confirmation arriving after that finds it ended and records nothing."""
    f, ledger_id, (m1, _) = network
    customer = new_identity().sender().to_str()
    rid = reserve(m1, customer, ledger_id, 40 * CENT)["reservation"]["Ok"]["reservation_id"]
    assert not held_below(f, customer, 11)
    f.advance(2 * 86_400 + 601)  # past the next whole UTC day, and a run of the reservations timer
    receipt = ok(m1.probe_settle_one_click([{"reservation_id": rid, "confirmed": True}]))
    assert (receipt["settled"], receipt["already_ended"], receipt["refused"]) == (0, 1, [])
    assert spend(f)["one_click_payments"] == 0 and spend(f)["one_click_volume_usd_cents"] == 0
    assert held_below(f, customer, 50)
