"""Issue 20 (docs/scaling.md, "Report aggregators", option (b)): the factory deploys a report
aggregator shard from an uploaded module through its own deployment path and assigns
merchants to it (new ones at deployment, existing ones by `assign_report_shards`, each with
its last report); the merchants report to the shard, which checks and values their reports
against the last ones it holds and sends the factory the sums of a batch per 300 s, and
serves the security logs it mirrors; the factory's totals are the sum of the merchants'
activity. A shard refuses a merchant it was not given and strangers' calls to its
factory-only methods, the factory refuses sums from a canister that is no shard of its own
and direct reports of a merchant assigned to a shard (the report waits for the shard). An
admin upgrades a shard (stopped first, its state kept, a staged batch counted once) or
retries one whose install failed, into the canister it has."""

from __future__ import annotations

import hashlib
import os

from factory_client import BROKEN_ENTRY, build_module, deploy_config, merchant_config, padded, ptext, report_totals
from kybra import Principal
from merchant_client import session_args  # noqa: E402
from part2_helpers import FEE, SYMBOL, acct, code, ok, transaction  # noqa: E402
from test_factory_link import deploy_shop, priced_network  # first: puts tests/factory on the path

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARD_ENTRY = os.path.join(ROOT, "src", "report_aggregator", "main.py")
SHARD_DID = os.path.join(ROOT, "candid", "report_aggregator.did")
REFUSED_ENTRY = os.path.join(ROOT, "tests", "canisters", "upgrade_refused", "main.py")  # post_upgrade traps
TICK = 301  # the merchants' REPORT_INTERVAL_SECONDS and the shard's BATCH_INTERVAL_SECONDS, + 1


def health(factory) -> dict:
    return factory.admin.get_system_analytics()[0]["system_health_metrics"]


def pay(factory, alice_ledger, cid: str, shop, amount: int) -> None:
    session = ok(shop.create_checkout_session_with_options(session_args(amount)))
    paid = alice_ledger.transfer(acct(cid, bytes(session["payment_subaccount"])), amount)
    ok(
        factory.merchant_actor(cid, alice_ledger.identity).complete_checkout_session(
            session["session_id"], str(paid["Ok"])
        )
    )


def test_merchants_report_through_a_shard(server, deploy, actor, new_identity):
    # merchant 0 exists before any shard: it is assigned later, by the factory's push
    factory, alice_text, alice_ledger, shops = priced_network(server, deploy, actor, new_identity, merchants=1)
    factory.upload("agg-1", build_module(server, SHARD_ENTRY), "report aggregator")
    stranger = new_identity()
    assert code(factory.as_(stranger).deploy_report_shard("agg-1")) == "unauthorized"
    shard = ok(factory.admin.deploy_report_shard("agg-1"))
    shard_id = ptext(shard["canister_id"][0])
    assert shard["status"] == "active" and shard["merchants"] == 0
    with server.lock:  # the factory alone controls it, as it does its merchants
        assert {p.to_str() for p in server.network.canister(Principal.from_str(shard_id))["controllers"]} == {
            factory.id
        }
    shard_actor = actor(server, shard_id, stranger, SHARD_DID)

    # merchants 1 and 2 are told their shard at deployment
    ledger_id = ptext(alice_ledger.actor.canister_id)
    owners = {}
    for i in (1, 2):
        owner = new_identity()
        cid, shop = deploy_shop(factory, owner, "Shop %d" % i, ledger_id)
        shops.append((cid, shop, None, owner.sender().to_str()))
        owners[i] = owner
    (cid0, shop0, _, _), (cid1, shop1, _, _), (cid2, shop2, _, _) = shops
    factory.advance(0)  # the assignment pushes
    assert ok(shop0.get_factory_sync_status())["report_shard"] == []
    for shop in (shop1, shop2):
        assert ptext(ok(shop.get_factory_sync_status())["report_shard"][0]) == shard_id
    # the existing merchant: assigned by an admin's walk of the registry
    assert code(factory.as_(stranger).assign_report_shards(100)) == "unauthorized"
    assert ok(factory.admin.assign_report_shards(100)) == 1
    assert ok(factory.admin.assign_report_shards(100)) == 0
    factory.advance(0)
    assert ptext(ok(shop0.get_factory_sync_status())["report_shard"][0]) == shard_id
    assert ok(factory.admin.get_report_shards())[0]["merchants"] == 3
    # a merchant takes its shard only from its factory: not from a stranger, not from its owner
    owner0 = shop0
    for who in (factory.merchant_actor(cid0, stranger), owner0):
        assert code(who.assign_report_shard(stranger.sender().to_str())) == "unauthorized"
    assert ptext(ok(shop0.get_factory_sync_status())["report_shard"][0]) == shard_id

    # activity at every merchant; one tick: the reports go to the shard, none to the factory
    before = health(factory)
    amounts = {cid0: 5_000_000, cid1: 7_000_000, cid2: 9_000_000}
    for cid, shop in ((cid0, shop0), (cid1, shop1), (cid2, shop2)):
        pay(factory, alice_ledger, cid, shop, amounts[cid])
    factory.advance(TICK)
    after = health(factory)
    assert after["direct_reports"] == before["direct_reports"]  # no merchant called the factory
    for shop in (shop0, shop1, shop2):
        sync = ok(shop.get_factory_sync_status())
        assert sync["shard_reports"] >= 1 and sync["shard_fallbacks"] == 0
    status = shard_actor.get_shard_status()[0]
    if status["batches_sent"] == 0:  # the shard's batch timer had not come round yet
        factory.advance(TICK)
        status = shard_actor.get_shard_status()[0]
    after = health(factory)
    assert status["pending"] == 0 and status["reports_forwarded"] == 3
    shard_rec = ok(factory.admin.get_report_shards())[0]
    assert shard_rec["batches"] == after["shard_batches"] - before["shard_batches"] == 1
    assert shard_rec["reports"] == 3
    assert after["reports_received"] == before["reports_received"] + 3
    # the factory's totals are the sum of the merchants' activity, valued at its rate
    # ($10 per token of 8 decimals: 100_000 base units = 1 cent)
    analytics = factory.admin.get_system_analytics()[0]
    assert analytics["total_system_volume"] == sum(amounts.values()) // 100_000
    assert analytics["active_merchants"] == 3

    # a shard takes reports only from its merchants; the factory takes batches only from its shards
    report = {
        "transaction_count": 1,
        "successful_payments": 1,
        "failed_payments": 0,
        "refunded_payments": 0,
        "sessions_created": 1,
        "sessions_completed": 1,
        "modal_views": 0,
        "hosted_page_views": 0,
        "volume_usd_cents": 0,
        "volume_by_token": [],
        "template_conversions": [],
        "region": [],
        "industry": [],
    }
    assert code(shard_actor.submit_metrics_report(report)) == "unauthorized"
    seed = {"merchant": stranger.sender().to_str(), "last_report": [report]}
    assert code(shard_actor.add_report_merchants([seed])) == "unauthorized"
    assert code(shard_actor.remove_report_merchants([cid1])) == "unauthorized"
    assert code(shard_actor.get_merchant_report(cid1)) == "unauthorized"
    forged = report_totals(seq=2, counts=[{"key": "metric:volume_usd_cents", "delta": 10**9}])
    assert code(factory.as_(stranger).submit_report_totals(forged)) == "unauthorized"
    assert code(factory.as_(owners[1]).submit_report_totals(forged)) == "unauthorized"
    assert ok(factory.admin.get_report_shards())[0]["reports"] == 3
    assert factory.admin.get_system_analytics()[0]["total_system_volume"] == sum(amounts.values()) // 100_000
    assert shard_actor.get_shard_status()[0]["merchants"] == 3  # the stranger was not added

    # a merchant's benchmarks come from its shard, which holds its last report (one payment of 70 cents)
    mine = ok(factory.as_(owners[1]).compare_merchant_performance(cid1))
    assert mine["average_transaction_usd_cents"] == 70 and mine["success_rate"] == 1.0
    bench = ok(factory.as_(owners[1]).get_merchant_benchmarks(cid1))
    assert [ptext(e["key"]) for e in bench["merchant_performance_percentiles"]] == [cid1]
    with server.lock:
        fault = server.network.faults.trap_message(Principal.from_str(shard_id), "get_merchant_report")
    assert code(factory.as_(owners[1]).get_merchant_benchmarks(cid1)) == "shard_unavailable"
    assert fault.fired == 1

    # the security logs come from the shard's mirror: a blocklist change the merchant missed
    # (its push trapped) reaches it at its next report through the shard
    with server.lock:
        fault = server.network.faults.trap_message(Principal.from_str(cid1), "receive_security_bulletin")
    mallory = new_identity().sender().to_str()
    ok(factory.admin.add_to_global_blocklist(mallory, "card testing ring"))
    factory.advance(1)
    assert fault.fired == 1
    factory.advance(TICK)  # the shard's batch (or version check) brings the change into its mirror
    assert shard_actor.get_security_versions()[0]["blocklist_seq"] >= 1
    pay(factory, alice_ledger, cid1, shop1, 1_000_000)
    factory.advance(TICK)
    assert "global_blocklist" in ok(shop1.analyze_transaction_risk(transaction(mallory, 1_000, merchant=cid1)))["rules"]
    assert health(factory)["direct_reports"] == before["direct_reports"]

    # the shard does not answer: the factory refuses the merchant's direct report (the shard
    # holds its last report, a delta taken at the factory would count it twice); the
    # cumulative report waits at the merchant and reaches the shard at a later tick
    for _ in range(3):  # merchant 1's last report reaches the factory in the shard's next batch
        if factory.admin.get_system_analytics()[0]["total_system_volume"] == 220:
            break
        factory.advance(TICK)
    total = factory.admin.get_system_analytics()[0]["total_system_volume"]
    assert total == (sum(amounts.values()) + 1_000_000) // 100_000
    with server.lock:
        server.network.faults.trap_message(Principal.from_str(shard_id), "submit_metrics_report")
    pay(factory, alice_ledger, cid2, shop2, 2_000_000)
    factory.advance(TICK)
    sync = ok(shop2.get_factory_sync_status())
    assert sync["shard_fallbacks"] == 1
    status = ok(shop2.get_factory_reporting_status())
    assert status["last_error"][0].startswith("factory refused: report_via_shard")
    assert health(factory)["direct_reports"] == before["direct_reports"]
    assert factory.admin.get_system_analytics()[0]["total_system_volume"] == total  # the figures wait
    for _ in range(3):
        factory.advance(TICK)  # the merchant's next tick reaches the shard, then the shard's batch
        if factory.admin.get_system_analytics()[0]["total_system_volume"] != total:
            break
    assert factory.admin.get_system_analytics()[0]["total_system_volume"] == total + 20
    assert health(factory)["direct_reports"] == before["direct_reports"]
    assert ok(shop2.get_factory_sync_status())["shard_fallbacks"] == 1


def test_the_factory_deploys_the_next_shard_when_one_is_full(server, deploy, actor, new_identity):
    factory, _, alice_ledger, _ = priced_network(server, deploy, actor, new_identity, merchants=0)
    factory.upload("agg-1", build_module(server, SHARD_ENTRY), "report aggregator")
    assert code(factory.admin.set_report_shard_capacity(0)) == "invalid_argument"
    assert code(factory.as_(new_identity()).set_report_shard_capacity(2)) == "unauthorized"
    ok(factory.admin.set_report_shard_capacity(2))
    first = ptext(ok(factory.admin.deploy_report_shard("agg-1"))["canister_id"][0])
    ledger_id = ptext(alice_ledger.actor.canister_id)
    shops = []
    for i in range(3):
        owner = new_identity()
        rec = ok(
            factory.paying(owner).deploy_user_payment_canister(
                deploy_config(merchant_config("Shop %d" % i, tokens=[(SYMBOL, ledger_id)]))
            )
        )
        shops.append(factory.merchant_actor(ptext(rec["canister_id"][0]), owner))
    factory.advance(0)

    def shard_of(shop):
        assigned = ok(shop.get_factory_sync_status())["report_shard"]
        return ptext(assigned[0]) if assigned else None

    assert [shard_of(s) for s in shops] == [first, first, None]  # the first shard is full
    factory.advance(601)  # the factory's shard upkeep: a second shard, from the same version
    factory.advance(0)
    shards = ok(factory.admin.get_report_shards())
    assert [(s["shard_no"], s["status"], s["merchants"], s["version"]) for s in shards] == [
        (1, "active", 2, "agg-1"),
        (2, "active", 1, "agg-1"),
    ]
    assert shard_of(shops[2]) == ptext(shards[1]["canister_id"][0])


def test_a_batch_of_merchants_in_shared_groups_sums_to_their_activity(server, deploy, actor, new_identity):
    # The shard sums a batch by the merchants' own region names and the factory folds the
    # sums into its groups (docs/scaling.md): merchants sharing a region in one batch, a
    # first report and a move between regions within a batch (the old region loses the
    # merchant's cents as the shard valued them) must leave each region's totals equal to
    # its merchants' sales.
    factory, alice_ledger, shard_actor, network_shops = shard_network(
        server, deploy, actor, new_identity, (("EU", "coffee"), ("EU", "coffee"), ("US", "books"))
    )
    shops = [(cid, shop) for cid, shop, _ in network_shops]

    def batch(forwarded: int) -> dict:
        for _ in range(3):
            factory.advance(TICK)
            if shard_actor.get_shard_status()[0]["reports_forwarded"] >= forwarded:
                break
        status = shard_actor.get_shard_status()[0]
        assert status["pending"] == 0 and status["reports_forwarded"] == forwarded
        analytics = factory.admin.get_system_analytics()[0]
        return {
            e["key"]: (e["value"]["merchants"], e["value"]["volume_usd_cents"])
            for e in analytics["geographic_distribution"]
        }, analytics["total_system_volume"]

    amounts = (5_000_000, 7_000_000, 9_000_000)  # 50, 70 and 90 cents
    for (cid, shop), amount in zip(shops, amounts):
        pay(factory, alice_ledger, cid, shop, amount)
    geo, total = batch(3)
    assert health(factory)["direct_reports"] == 0
    assert geo == {"EU": (2, 120), "US": (1, 90)}
    assert total == 210

    # shop 1 moves to the US and sells again; shop 0 sells again in the EU
    (cid0, shop0), (cid1, shop1), _ = shops
    ok(shop1.set_business_profile({"region": ["US"], "industry": ["coffee"]}))
    pay(factory, alice_ledger, cid1, shop1, 3_000_000)
    pay(factory, alice_ledger, cid0, shop0, 1_000_000)
    geo, total = batch(5)
    assert geo == {"EU": (1, 60), "US": (2, 190)}
    assert total == 250


def shard_network(server, deploy, actor, new_identity, regions: tuple):
    """A priced factory with one shard and a shop per region (a region name, in the coffee
    industry, or a (region, industry) pair), each assigned to the shard at deployment:
    (factory, alice_ledger, shard actor, [(cid, shop, owner identity)])."""
    factory, _, alice_ledger, _ = priced_network(server, deploy, actor, new_identity, merchants=0)
    factory.upload("agg-1", build_module(server, SHARD_ENTRY), "report aggregator")
    shard_id = ptext(ok(factory.admin.deploy_report_shard("agg-1"))["canister_id"][0])
    shard_actor = actor(server, shard_id, new_identity(), SHARD_DID)
    ledger_id = ptext(alice_ledger.actor.canister_id)
    shops = []
    for i, profile in enumerate(regions):
        region, industry = (profile, "coffee") if isinstance(profile, str) else profile
        owner = new_identity()
        cid, shop = deploy_shop(factory, owner, "Shard shop %d" % i, ledger_id)
        ok(shop.set_business_profile({"region": [region], "industry": [industry]}))
        shops.append((cid, shop, owner))
    factory.advance(0)
    return factory, alice_ledger, shard_actor, shops


def until(factory, done, ticks: int = 4) -> None:
    """Advance the merchants' and the shard's timers until `done()` (at most `ticks` ticks)."""
    for _ in range(ticks):
        if done():
            return
        factory.advance(TICK)
    assert done()


def total_volume(factory) -> int:
    return factory.admin.get_system_analytics()[0]["total_system_volume"]


def test_a_batch_resent_after_a_lost_reply_is_applied_once(server, deploy, actor, new_identity):
    # The shard stages a batch (its sums and reports) before it sends it; when the reply is
    # lost (here the shard traps handling it, after the factory applied the sums) the shard
    # re-sends the same batch with the same seq, and the factory acknowledges it unapplied.
    factory, alice_ledger, shard_actor, shops = shard_network(server, deploy, actor, new_identity, ("EU", "US"))
    with server.lock:
        fault = server.network.faults.trap_after_call(
            Principal.from_str(ptext(shard_actor.canister_id)), "submit_report_totals"
        )
    for (cid, shop, _), amount in zip(shops, (5_000_000, 7_000_000)):
        pay(factory, alice_ledger, cid, shop, amount)
    until(factory, lambda: fault.fired == 1)
    status = shard_actor.get_shard_status()[0]
    assert status["in_flight"] is True and status["batch_seq"] == 0 and status["pending"] == 2
    assert total_volume(factory) == 120  # applied once by the factory, not acknowledged at the shard
    until(factory, lambda: shard_actor.get_shard_status()[0]["batch_seq"] == 1)
    status = shard_actor.get_shard_status()[0]
    assert status["in_flight"] is False and status["pending"] == 0 and status["reports_forwarded"] == 2
    assert total_volume(factory) == 120
    geo = {
        e["key"]: (e["value"]["merchants"], e["value"]["volume_usd_cents"])
        for e in factory.admin.get_system_analytics()[0]["geographic_distribution"]
    }
    assert geo == {"EU": (1, 50), "US": (1, 70)}
    rec = ok(factory.admin.get_report_shards())[0]
    assert rec["batches"] == 1 and rec["reports"] == 2
    assert health(factory)["reports_received"] == 2 and health(factory)["direct_reports"] == 0
    # the next batch takes the next seq and counts only what moved since
    pay(factory, alice_ledger, shops[0][0], shops[0][1], 1_000_000)
    until(factory, lambda: shard_actor.get_shard_status()[0]["batch_seq"] == 2)
    assert total_volume(factory) == 130 and ok(factory.admin.get_report_shards())[0]["batches"] == 2


def test_a_report_the_shard_refuses_is_reported_to_the_factory(server, deploy, actor, new_identity):
    # The shard checks each report against the merchant's last one and the factory's supplies
    # (read once per batch): a volume that grew by more than the token's supply is refused and
    # listed in the batch. Alice pays all she has; the sweep into the merchant's main account
    # burns a fee, so the supply ends below the volume the merchant reports.
    factory, alice_ledger, shard_actor, shops = shard_network(server, deploy, actor, new_identity, ("EU", "US"))
    (cid0, shop0, _), _ = shops
    until(factory, lambda: shard_actor.get_shard_status()[0]["reports_forwarded"] == 2)  # the profiles
    forwarded = 2
    big = alice_ledger.balance() - FEE
    pay(factory, alice_ledger, cid0, shop0, big)
    ok(factory.admin.update_global_token_rates())  # the factory reads the ledger's supply again
    assert alice_ledger.actor.icrc1_total_supply()[0] < big
    until(factory, lambda: shard_actor.get_shard_status()[0]["reports_refused"] == 1)
    status = shard_actor.get_shard_status()[0]
    assert status["pending"] == 0 and status["reports_forwarded"] == forwarded
    rec = ok(factory.admin.get_report_shards())[0]
    assert rec["refused"] == 1 and rec["reports"] == forwarded
    assert total_volume(factory) == 0  # nothing of the refused report was counted
    assert health(factory)["reports_received"] == forwarded
    assert factory.admin.get_system_analytics()[0]["active_merchants"] == 0


def test_a_merchant_leaving_sole_control_leaves_its_shard(server, deploy, actor, new_identity):
    # The factory no longer checks sole control per report, so a merchant leaving it leaves
    # its shard first (secure_user_canister): the shard stops counting it and hands its last
    # report back. A that is believed again reports to the factory, which counts only what
    # moved since that report; B, whose owner swapped its module (a co-controller, as before
    # issue 16), is believed nowhere any more and its sales are not counted.
    from factory_client import inject_controllers, management_call

    from localnet.runtime.module import custom_section

    factory, alice_ledger, shard_actor, shops = shard_network(server, deploy, actor, new_identity, ("EU", "US"))
    (cid_a, shop_a, owner_a), (cid_b, shop_b, owner_b) = shops
    pay(factory, alice_ledger, cid_a, shop_a, 5_000_000)
    pay(factory, alice_ledger, cid_b, shop_b, 7_000_000)
    until(factory, lambda: total_volume(factory) == 120)
    assert shard_actor.get_shard_status()[0]["merchants"] == 2

    ok(factory.as_(owner_a).secure_user_canister(cid_a))
    assert shard_actor.get_shard_status()[0]["merchants"] == 1
    assert ok(factory.admin.get_report_shards())[0]["merchants"] == 1
    pay(factory, alice_ledger, cid_a, shop_a, 1_000_000)
    until(factory, lambda: health(factory)["direct_reports"] == 1)
    assert total_volume(factory) == 130  # the 50 cents the shard counted are not counted again
    assert ok(factory.as_(owner_a).compare_merchant_performance(cid_a))["average_transaction_usd_cents"] == 30
    assert ok(shop_a.get_factory_sync_status())["report_shard"] == []  # the factory's reply told it

    inject_controllers(server, factory.id, cid_b, [factory.id, owner_b.sender().to_str()])
    swapped = build_module(server) + custom_section("rogue", b"swapped by the owner")
    management_call(
        server,
        owner_b,
        "install_code",
        {
            "mode": {"upgrade": None},
            "canister_id": Principal.from_str(cid_b),
            "wasm_module": swapped,
            "arg": b"DIDL\x00\x00",
            "sender_canister_version": None,
        },
        cid_b,
    )
    assert code(factory.as_(owner_b).secure_user_canister(cid_b)) == "module_mismatch"
    assert shard_actor.get_shard_status()[0]["merchants"] == 0
    pay(factory, alice_ledger, cid_b, shop_b, 2_000_000)
    for _ in range(3):
        factory.advance(TICK)
    assert ok(shop_b.get_factory_sync_status())["shard_fallbacks"] >= 1  # the shard refused it
    assert total_volume(factory) == 130 and health(factory)["direct_reports"] == 1


def shard_v2(factory, server) -> bytes:
    """The shard module under a second version name (a custom section makes it distinct)."""
    base = build_module(server, SHARD_ENTRY)
    module = padded(base, len(base) + 4096, b"agg-2")
    factory.upload("agg-2", module, "report aggregator, second release")
    return module


def geography(factory) -> dict:
    return {
        e["key"]: (e["value"]["merchants"], e["value"]["volume_usd_cents"])
        for e in factory.admin.get_system_analytics()[0]["geographic_distribution"]
    }


def counts(shard_actor) -> dict:
    """The shard's status but its factory (a Principal, which does not compare)."""
    status = shard_actor.get_shard_status()[0]
    status["factory"] = ptext(status["factory"])
    return status


def test_a_shard_upgraded_with_a_batch_staged_keeps_its_state(server, deploy, actor, new_identity):
    # The shard's state lives in stable maps: an upgrade keeps its merchants, their last and
    # pending reports and the batch in flight (here one whose reply was lost after the
    # factory applied it); after the upgrade that batch is re-sent with its seq and
    # acknowledged unapplied, and the next one carries what moved since: counted once.
    factory, alice_ledger, shard_actor, shops = shard_network(server, deploy, actor, new_identity, ("EU", "US"))
    shard_id = ptext(shard_actor.canister_id)
    v2 = shard_v2(factory, server)
    with server.lock:
        fault = server.network.faults.trap_after_call(Principal.from_str(shard_id), "submit_report_totals")
    for (cid, shop, _), amount in zip(shops, (5_000_000, 7_000_000)):
        pay(factory, alice_ledger, cid, shop, amount)
    until(factory, lambda: fault.fired == 1)
    assert total_volume(factory) == 120
    received = shard_actor.get_shard_status()[0]["reports_received"]
    pay(factory, alice_ledger, shops[0][0], shops[0][1], 1_000_000)
    factory.advance(TICK)  # shop 0's report reaches the shard; the batch lock (600 s) holds the re-send
    before = counts(shard_actor)
    assert before["in_flight"] is True and before["batch_seq"] == 0 and before["pending"] == 2
    assert before["reports_received"] > received and before["merchants"] == 2
    assert total_volume(factory) == 120

    # only admins, only committed versions, only existing shards, only another version
    for who in (factory.as_(new_identity()), factory.as_(shops[0][2]), factory.anon):
        assert code(who.upgrade_report_shard(1, "agg-2")) == "unauthorized"
    assert code(factory.admin.upgrade_report_shard(1, "agg-9")) == "not_found"
    assert code(factory.admin.upgrade_report_shard(2, "agg-2")) == "not_found"
    assert code(factory.admin.upgrade_report_shard(1, "agg-1")) == "failed_precondition"
    assert factory.module_hash(shard_id) != hashlib.sha256(v2).digest()

    rec = ok(factory.admin.upgrade_report_shard(1, "agg-2"))
    assert (rec["status"], rec["version"], rec["error"], rec["merchants"]) == ("active", "agg-2", [], 2)
    with server.lock:
        info = server.network.canister(Principal.from_str(shard_id))
    assert info["status"] == "running" and info["module_hash"] == hashlib.sha256(v2).digest()
    assert counts(shard_actor) == before  # merchants, pending reports, staged batch
    assert code(factory.admin.delete_wasm_version("agg-2")) == "in_use"

    # the staged batch (seq 1) goes again, then shop 0's pending report (seq 2) right after it
    until(factory, lambda: shard_actor.get_shard_status()[0]["batch_seq"] == 2)
    status = shard_actor.get_shard_status()[0]
    assert status["in_flight"] is False and status["pending"] == 0 and status["reports_forwarded"] == 3
    assert ok(factory.admin.get_report_shards())[0]["batches"] == 2  # seq 1 applied once
    assert total_volume(factory) == 130 and geography(factory) == {"EU": (1, 60), "US": (1, 70)}
    assert health(factory)["direct_reports"] == 0
    # the merchant's last report is still the shard's to serve: two payments of 50 and 10 cents
    assert ok(factory.as_(shops[0][2]).compare_merchant_performance(shops[0][0]))["average_transaction_usd_cents"] == 30


def test_a_shard_upgrade_waits_for_its_batch_call_and_new_shards_take_its_version(server, deploy, actor, new_identity):
    # The factory stops the shard before installing: a batch whose call to the factory is in
    # flight is answered to the module that sent it (on Kybra a reply reaching the new module
    # traps there), so it is applied and acknowledged once; then the upgrade and the start.
    # The upkeep deploys the next shard from the version the last upgrade installed.
    from localnet.runtime.typed import decode_reply, encode_call

    factory, alice_ledger, shard_actor, shops = shard_network(server, deploy, actor, new_identity, ("EU", "US"))
    shard = Principal.from_str(ptext(shard_actor.canister_id))
    fid = Principal.from_str(factory.id)
    v2 = shard_v2(factory, server)
    for (cid, shop, _), amount in zip(shops, (5_000_000, 7_000_000)):
        pay(factory, alice_ledger, cid, shop, amount)

    def held(p) -> bool:
        return p.kind == "call" and p.canister_id.to_str() == factory.id and p.method == "submit_report_totals"

    with server.lock:
        net = server.network
        for _ in range(4):  # the merchants report, then the shard's batch timer sends the batch
            net.set_time(net.time_ns + TICK * 10**9)
            net.run_except(held)
            if any(held(p) for p in net.pending()):
                break
        assert any(held(p) for p in net.pending())
        admin = Principal.from_str(factory.admin_identity.sender().to_str())
        up = net.submit(admin, fid, "upgrade_report_shard", encode_call(net, fid, "upgrade_report_shard", [1, "agg-2"]))
        net.run_except(held)
        assert net.canister(shard)["status"] == "stopping" and net.status(up).state == "processing"
        net.run_until_idle()
        assert net.status(up).state == "replied"
        upgraded = decode_reply(net, fid, "upgrade_report_shard", net.status(up).reply)
        info = net.canister(shard)
    assert upgraded["Ok"]["version"] == "agg-2" and upgraded["Ok"]["error"] is None, upgraded
    assert info["status"] == "running" and info["module_hash"] == hashlib.sha256(v2).digest()
    assert info["stale_responses"] == 0  # no reply reached the new module
    status = shard_actor.get_shard_status()[0]
    assert status["batch_seq"] == 1 and status["in_flight"] is False and status["reports_forwarded"] == 2
    assert total_volume(factory) == 120 and ok(factory.admin.get_report_shards())[0]["batches"] == 1

    ok(factory.admin.set_report_shard_capacity(2))  # the shard is full: the next shop waits for the upkeep
    cid, shop = deploy_shop(factory, new_identity(), "Shard shop 2", ptext(alice_ledger.actor.canister_id))
    factory.advance(601)
    factory.advance(0)
    shards = ok(factory.admin.get_report_shards())
    assert [(s["shard_no"], s["status"], s["merchants"], s["version"]) for s in shards] == [
        (1, "active", 2, "agg-2"),
        (2, "active", 1, "agg-2"),
    ]
    assert factory.module_hash(ptext(shards[1]["canister_id"][0])) == hashlib.sha256(v2).digest()


def test_a_failed_shard_upgrade_leaves_it_on_its_old_module(server, deploy, actor, new_identity):
    # The install is atomic: a module whose post_upgrade traps leaves the shard's module and
    # state as they were, and the factory starts it again; its merchants keep reporting.
    factory, alice_ledger, shard_actor, shops = shard_network(server, deploy, actor, new_identity, ("EU",))
    shard_id = ptext(shard_actor.canister_id)
    factory.upload("refused", build_module(server, REFUSED_ENTRY), "post_upgrade traps")
    old = factory.module_hash(shard_id)
    failed = factory.admin.upgrade_report_shard(1, "refused")
    assert code(failed) == "upgrade_failed" and "refusing this upgrade" in failed[0]["Err"], failed
    rec = ok(factory.admin.get_report_shards())[0]
    assert (rec["status"], rec["version"]) == ("active", "agg-1") and rec["error"][0] == failed[0]["Err"]
    with server.lock:
        info = server.network.canister(Principal.from_str(shard_id))
    assert info["status"] == "running" and info["module_hash"] == old
    assert shard_actor.get_shard_status()[0]["merchants"] == 1  # it answers, on its old module
    pay(factory, alice_ledger, shops[0][0], shops[0][1], 5_000_000)
    until(factory, lambda: total_volume(factory) == 50)
    assert health(factory)["direct_reports"] == 0


def test_a_shard_whose_install_failed_is_retried_into_its_canister(server, deploy, actor, new_identity):
    # A failed install leaves the shard's canister created and paid for: the retry installs
    # into it (the shard's version, or a fixed one), no new canister; then it is active and
    # takes merchants. Only a failed shard can be retried.
    factory, _, alice_ledger, _ = priced_network(server, deploy, actor, new_identity, merchants=0)
    factory.upload("broken", build_module(server, BROKEN_ENTRY), "init takes another argument")
    factory.upload("agg-1", build_module(server, SHARD_ENTRY), "report aggregator")
    assert code(factory.admin.deploy_report_shard("broken")) == "install_failed"
    (rec,) = ok(factory.admin.get_report_shards())
    assert rec["status"] == "failed" and rec["error"] and rec["canister_id"]
    shard_id = ptext(rec["canister_id"][0])
    with server.lock:
        canisters = len(server.network.canisters)

    stranger = new_identity()
    for who in (factory.as_(stranger), factory.anon):
        assert code(who.retry_report_shard(1, ["agg-1"])) == "unauthorized"
    assert code(factory.admin.retry_report_shard(2, [])) == "not_found"
    assert code(factory.admin.retry_report_shard(1, ["agg-9"])) == "not_found"
    assert code(factory.admin.upgrade_report_shard(1, "agg-1")) == "failed_precondition"  # not active
    assert code(factory.admin.retry_report_shard(1, [])) == "install_failed"  # its own version, broken
    assert ok(factory.admin.get_report_shards())[0]["status"] == "failed"

    fixed = ok(factory.admin.retry_report_shard(1, ["agg-1"]))
    assert (fixed["status"], fixed["version"], fixed["error"]) == ("active", "agg-1", [])
    assert ptext(fixed["canister_id"][0]) == shard_id
    assert factory.module_hash(shard_id) == hashlib.sha256(build_module(server, SHARD_ENTRY)).digest()
    with server.lock:
        assert len(server.network.canisters) == canisters  # no canister created for the retry
    assert code(factory.admin.retry_report_shard(1, [])) == "failed_precondition"  # active now

    cid, shop = deploy_shop(factory, new_identity(), "Shop 0", ptext(alice_ledger.actor.canister_id))
    factory.advance(0)
    assert ptext(ok(shop.get_factory_sync_status())["report_shard"][0]) == shard_id
    shard_actor = actor(server, shard_id, stranger, SHARD_DID)
    assert shard_actor.get_shard_status()[0]["merchants"] == 1
    pay(factory, alice_ledger, cid, shop, 5_000_000)
    until(factory, lambda: total_volume(factory) == 50)
