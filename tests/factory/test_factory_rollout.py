"""Rollouts across several merchant canisters: timer-driven batches with a canary, a
canister that fails (its owner removed the factory from its controllers), pause/resume,
per-canister results, and rollback of the upgraded ones to their previous version."""

from __future__ import annotations

import hashlib

from factory_client import (
    build_module,
    code,
    deploy_config,
    inject_controllers,
    ok,
    one,
    padded,
    ptext,
    tag,
)


def deploy_merchants(factory, new_identity, n: int, opted_in: bool = True) -> list:
    """n merchant canisters of n owners, who let the admins roll out upgrades to them."""
    out = []
    for i in range(n):
        owner = new_identity()
        rec = ok(factory.paying(owner).deploy_user_payment_canister(deploy_config()))
        cid = ptext(rec["canister_id"][0])
        if opted_in:
            ok(factory.as_(owner).set_managed_upgrades(cid, True))
        out.append((owner, cid))
    return out


def test_admins_upgrade_only_canisters_whose_owner_opted_in(small, server, new_identity):
    """Issue 16 #7: the operator cannot change a merchant's code without the owner's consent."""
    factory = small
    ((mine, cid),) = deploy_merchants(factory, new_identity, 1, opted_in=False)
    ((_, managed_cid),) = deploy_merchants(factory, new_identity, 1)
    v1 = factory.module_hash(cid)
    factory.upload("v2", padded(build_module(server), 200_000, b"v2-consent"), "second release")
    assert one(factory.anon.get_managed_upgrades(cid)) == {"Ok": False}
    assert code(factory.admin.upgrade_user_canister(cid, "v2")) == "unauthorized"
    assert code(factory.as_(new_identity()).set_managed_upgrades(cid, True)) == "unauthorized"
    assert code(factory.admin.set_managed_upgrades(cid, True)) == "unauthorized"
    rid = ok(
        factory.admin.start_rollout(
            {"version": "v2", "batch_size": 5, "canary_size": 0, "max_failures": 0, "interval_seconds": 1}
        )
    )["rollout_id"]
    ro = wait_rollout(factory, rid, {"completed"})
    rows = results(factory, rid)
    assert tag(rows[cid]["outcome"]) == "skipped" and rows[cid]["error"][0].startswith("not_opted_in")
    assert tag(rows[managed_cid]["outcome"]) == "upgraded" and ro["upgraded"] == 1
    assert factory.module_hash(cid) == v1
    ok(factory.as_(mine).upgrade_user_canister(cid, "v2"))  # the owner upgrades when they choose
    assert factory.module_hash(cid) != v1
    ok(factory.as_(mine).set_managed_upgrades(cid, True))
    ok(factory.admin.rollback_user_canister(cid))
    assert factory.module_hash(cid) == v1


def wait_rollout(factory, rollout_id: str, states: set, step: float = 10, limit: int = 20) -> dict:
    for _ in range(limit):
        ro = ok(factory.admin.get_rollout(rollout_id))
        if tag(ro["status"]) in states:
            return ro
        factory.advance(step)
    raise AssertionError(f"rollout stayed {tag(ro['status'])}")


def results(factory, rollout_id: str) -> dict:
    page = ok(factory.admin.list_rollout_results(rollout_id, [], 100))
    return {ptext(r["canister_id"]): r for r in page["items"]}


def start_canary(factory, server, new_identity, salt: bytes, max_failures: int, interval_seconds: int) -> tuple:
    """Three merchants on v1, a v2 upload and a rollout (batches of 1 after a canary of 1)
    whose canary has run: (merchants, rollout_id)."""
    merchants = deploy_merchants(factory, new_identity, 3)
    factory.upload("v2", padded(build_module(server), 200_000, salt))
    rid = ok(
        factory.admin.start_rollout(
            {
                "version": "v2",
                "batch_size": 1,
                "canary_size": 1,
                "max_failures": max_failures,
                "interval_seconds": interval_seconds,
            }
        )
    )["rollout_id"]
    factory.advance(0)
    assert ok(factory.admin.get_rollout(rid))["upgraded"] == 1
    return merchants, rid


def test_rollout_with_failure_then_rollback(small, server, new_identity):
    factory = small
    v1 = hashlib.sha256(build_module(server)).digest()
    merchants = deploy_merchants(factory, new_identity, 4)
    v2_module = padded(build_module(server), 300_000, b"v2")
    factory.upload("v2", v2_module, "second release")
    v2 = hashlib.sha256(v2_module).digest()

    # The third merchant cannot be upgraded: its controllers changed behind the factory's
    # back (the factory alone controls it, so the fault is injected at the IC level).
    bad_owner, bad = merchants[2]
    inject_controllers(server, factory.id, bad, [bad_owner.sender().to_str()])

    ro = ok(
        factory.admin.start_rollout(
            {"version": "v2", "batch_size": 2, "canary_size": 1, "max_failures": 0, "interval_seconds": 10}
        )
    )
    rid = ro["rollout_id"]
    assert (
        code(
            factory.admin.start_rollout(
                {"version": "v2", "batch_size": 1, "canary_size": 0, "max_failures": 0, "interval_seconds": 10}
            )
        )
        == "failed_precondition"
    )
    ro = wait_rollout(factory, rid, {"paused", "completed"})
    # canary (1st) and the first batch (2nd, 3rd) ran; the 3rd failed, so the rollout paused
    assert tag(ro["status"]) == "paused" and ro["pause_reason"][0].startswith("too_many_failures")
    assert ro["upgraded"] == 2 and ro["failed"] == 1
    rows = results(factory, rid)
    assert tag(rows[merchants[0][1]]["outcome"]) == "upgraded"
    assert tag(rows[merchants[1][1]]["outcome"]) == "upgraded"
    assert tag(rows[bad]["outcome"]) == "failed" and rows[bad]["error"]
    assert merchants[3][1] not in rows
    assert [factory.module_hash(c) for _, c in merchants] == [v2, v2, v1, v1]

    # Resume: the rest is upgraded and the rollout completes.
    ok(factory.admin.resume_rollout(rid))
    ro = wait_rollout(factory, rid, {"completed"})
    assert ro["upgraded"] == 3 and ro["failed"] == 1
    assert factory.module_hash(merchants[3][1]) == v2
    assert code(factory.admin.delete_wasm_version("v2")) == "in_use"

    # Roll back: every upgraded canister returns to v1; the failed one never changed.
    ok(factory.admin.rollback_rollout(rid))
    ro = wait_rollout(factory, rid, {"rolled_back"})
    assert ro["rolled_back"] == 3 and ro["rollback_failed"] == 0
    assert [factory.module_hash(c) for _, c in merchants] == [v1, v1, v1, v1]
    rows = results(factory, rid)
    assert sorted(tag(r["outcome"]) for r in rows.values()) == ["failed", "rolled_back", "rolled_back", "rolled_back"]
    for _, cid in merchants:
        rec = ok(factory.admin.get_user_canister(cid))
        assert rec["version"] == ["v1"] and not rec["busy"]
    listed = ok(factory.admin.list_rollouts([], 10))["items"]
    assert [r["rollout_id"] for r in listed] == [rid]
    ok(factory.admin.delete_wasm_version("v2"))


def test_pause_and_cancel(small, server, new_identity):
    factory = small
    merchants, rid = start_canary(factory, server, new_identity, b"v2b", 5, 10)
    ok(factory.admin.pause_rollout(rid))
    assert code(factory.admin.pause_rollout(rid)) == "failed_precondition"
    factory.advance(30)
    assert ok(factory.admin.get_rollout(rid))["upgraded"] == 1
    ok(factory.admin.cancel_rollout(rid))
    assert tag(ok(factory.admin.get_rollout(rid))["status"]) == "cancelled"
    assert code(factory.admin.resume_rollout(rid)) == "failed_precondition"
    versions = [ok(factory.admin.get_user_canister(c))["version"] for _, c in merchants]
    assert versions == [["v2"], ["v1"], ["v1"]]
    # another rollout can start once this one is over
    ok(
        factory.admin.start_rollout(
            {"version": "v2", "batch_size": 5, "canary_size": 0, "max_failures": 0, "interval_seconds": 1}
        )
    )
    factory.advance(1)
    versions = [ok(factory.admin.get_user_canister(c))["version"] for _, c in merchants]
    assert versions == [["v2"], ["v2"], ["v2"]]


def test_rollout_resumes_after_factory_upgrade(small, server, new_identity):
    from factory_client import FACTORY_ENTRY, ROOT
    from kybra import Principal

    factory = small
    merchants, rid = start_canary(factory, server, new_identity, b"v2c", 0, 30)
    # The factory itself is upgraded mid-rollout: its timers are gone, post_upgrade re-arms.
    with server.lock:
        net = server.network
        net.install_code(
            Principal.from_str(factory.id),
            net.build_module(FACTORY_ENTRY, ROOT),
            mode="upgrade",
            sender=Principal.from_str(factory.admin_identity.sender().to_str()),
        )
    ro = wait_rollout(factory, rid, {"completed"}, step=30)
    assert ro["upgraded"] == 3 and ro["failed"] == 0
    assert [ok(factory.admin.get_user_canister(c))["version"] for _, c in merchants] == [["v2"]] * 3
