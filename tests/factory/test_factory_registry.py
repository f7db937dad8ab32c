"""Registry reads and cycles: listings by owner and for admins with cursors, stats, cycles
of merchant canisters read by canister_status, top-ups from the factory (by an admin and
by the monitor timer), and the factory's own upgrade keeping its registry."""

from __future__ import annotations

from factory_client import (
    FACTORY_ENTRY,
    ROOT,
    code,
    default_settings,
    deploy_config,
    merchant_config,
    ok,
    one,
    ptext,
    tag,
)
from kybra import Principal


def test_listings_and_pagination(small, new_identity):
    f = small
    alice, bob = new_identity(), new_identity()
    mine = [
        ok(f.paying(alice).deploy_user_payment_canister(deploy_config(merchant_config("A%d" % i)))) for i in range(3)
    ]
    for_bob = ok(f.admin.deploy_user_payment_canister(deploy_config(merchant_config("B"), owner=bob.sender().to_str())))
    assert ptext(for_bob["owner"]) == bob.sender().to_str()
    assert len(ok(f.as_(bob).list_canisters_by_owner(bob.sender().to_str(), [], 10))["items"]) == 1
    page = ok(f.as_(alice).list_canisters_by_owner(alice.sender().to_str(), [], 2))
    assert [r["merchant"]["name"] for r in page["items"]] == ["A2", "A1"]
    rest = ok(f.as_(alice).list_canisters_by_owner(alice.sender().to_str(), page["next_cursor"], 2))
    assert [r["merchant"]["name"] for r in rest["items"]] == ["A0"] and rest["next_cursor"] == []
    everyone = ok(f.admin.list_user_canisters([], 100))
    assert [r["merchant"]["name"] for r in everyone["items"]] == ["B", "A2", "A1", "A0"]
    assert code(f.admin.list_user_canisters([], 101)) == "invalid_argument"
    assert code(f.admin.list_user_canisters(["x1"], 10)) == "invalid_argument"
    cid = ptext(mine[0]["canister_id"][0])
    assert ok(f.anon.get_user_canister(cid))["deployment_id"] == mine[0]["deployment_id"]
    assert code(f.anon.get_user_canister(f.id)) == "not_found"
    stats = one(f.anon.get_factory_stats())
    assert stats["total_deployments"] == 4 and stats["active"] == 4 and stats["default_version"] == ["v1"]
    # the per-owner quota counts live canisters
    big = default_settings(max_canisters_per_owner=3, xrc_canister=[])
    ok(f.admin.update_factory_settings(big))
    assert code(f.paying(alice).deploy_user_payment_canister(deploy_config())) == "quota_exceeded"
    assert code(f.admin.update_factory_settings(dict(big, max_canisters_per_owner=0))) == "invalid_argument"
    # create_canister burns 500B of what the factory attaches: a deploy_cycles at or below it
    # would leave a merchant nothing (or fail every creation on the IC)
    assert code(f.admin.update_factory_settings(dict(big, deploy_cycles=500_000_000_000))) == "invalid_argument"
    ok(f.admin.update_factory_settings(dict(big, deploy_cycles=500_000_000_001)))
    ok(f.admin.update_factory_settings(big))
    assert (
        code(f.paying(alice).deploy_user_payment_canister(deploy_config(merchant_config(email="nope"))))
        == "invalid_argument"
    )


def test_cycles_monitoring_and_top_up(server, deploy, actor, new_identity):
    from factory_client import Factory, build_module

    # a new merchant holds deploy_cycles (2T) less the 500B creation fee: below 3T
    settings = default_settings(topup_threshold=3 * 10**12, topup_amount=3 * 10**11, monitor_interval_seconds=120)
    f = Factory(server, deploy, actor, new_identity, settings)
    f.upload("v1", build_module(server))
    owner = new_identity()
    rec = ok(f.paying(owner).deploy_user_payment_canister(deploy_config()))
    cid = ptext(rec["canister_id"][0])
    with server.lock:
        start = server.network.canister(Principal.from_str(cid))["cycles"]
    seen = ok(f.as_(owner).refresh_canister_cycles(cid))
    assert 0 < seen <= start
    assert code(f.as_(new_identity()).refresh_canister_cycles(cid)) == "unauthorized"
    ok(f.admin.top_up_user_canister(cid, 10**11))
    with server.lock:
        after = server.network.canister(Principal.from_str(cid))["cycles"]
    assert after >= start + 10**11 - 10**9
    assert code(f.admin.top_up_user_canister(cid, 10**18)) == "invalid_argument"
    # below the 3T threshold but with no paid top-up budget: the monitor refuses to spend
    # the factory's cycles on it (issue 16 #2: no cycle drain)
    assert one(f.anon.get_factory_stats())["low_cycles_canisters"] == 1
    f.advance(120)
    with server.lock:
        unpaid = server.network.canister(Principal.from_str(cid))["cycles"]
    assert unpaid <= after
    assert one(f.anon.get_factory_stats())["cycles_topped_up"] == 10**11
    # a budget (granted by an admin here; cycles attached to prepay_canister_topups alike)
    # is what the monitor spends, one top-up at a time
    assert code(f.as_(owner).grant_topup_budget(cid, 10**12)) == "unauthorized"
    ok(f.admin.grant_topup_budget(cid, 4 * 10**11))
    f.advance(120)
    with server.lock:
        later = server.network.canister(Principal.from_str(cid))["cycles"]
    assert later >= unpaid + 3 * 10**11 - 10**9
    stats = one(f.anon.get_factory_stats())
    assert stats["cycles_topped_up"] >= 4 * 10**11
    assert one(f.anon.get_topup_budget(cid)) == 10**11
    assert ok(f.anon.get_user_canister(cid))["cycles_checked_at"]


def test_factory_upgrade_keeps_registry_and_routing(small, server, new_identity):
    f = small
    owner = new_identity()
    rec = ok(f.paying(owner).deploy_user_payment_canister(deploy_config()))
    cid = ptext(rec["canister_id"][0])
    with server.lock:
        net = server.network
        module = net.build_module(FACTORY_ENTRY, ROOT)
        net.install_code(
            Principal.from_str(f.id),
            module,
            mode="upgrade",
            sender=Principal.from_str(f.admin_identity.sender().to_str()),
        )
    assert ok(f.anon.get_user_canister(cid))["routing_key"] == rec["routing_key"]
    assert ptext(ok(f.anon.resolve_hosted_page_route("cs_" + rec["routing_key"] + "_" + "0" * 32))) == cid
    assert one(f.anon.get_default_wasm_version()) == ["v1"]
    assert tag(ok(f.admin.get_wasm_version("v1"))["state"]) == "ready"
    # the stored module is still deployable after the factory's upgrade
    again = ok(f.paying(owner).deploy_user_payment_canister(deploy_config()))
    assert tag(again["status"]) == "active" and again["routing_key"] != rec["routing_key"]
