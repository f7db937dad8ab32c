"""Deploying real merchant canisters from the factory: a Kybra-size module uploaded in
chunks, a paid checkout in the deployed canister, upgrades keeping its data, failed
installs that stay tracked, and the quota and cycles policy under concurrent deploys."""

from __future__ import annotations

import hashlib

from factory_client import (
    BROKEN_ENTRY,
    CHUNK,
    Factory,
    build_module,
    code,
    default_settings,
    deploy_config,
    err,
    merchant_config,
    ok,
    one,
    padded,
    ptext,
    tag,
)
from kybra import Principal
from ledger_client import LEDGER_DID, LEDGER_ENTRY, SYMBOL, LedgerClient, acct, ledger_init_arg
from merchant_client import session_args

KYBRA_SIZE = 10 * CHUNK + 123_457


def test_chunked_kybra_size_deploy_pay_upgrade_and_rollback(server, deploy, actor, new_identity, factory):
    owner, alice = new_identity(), new_identity()
    ledger_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(alice.sender().to_str(), 1_000_000_000)]))
    base = build_module(server)
    v1 = padded(base, KYBRA_SIZE, b"v1")
    v2 = padded(base, KYBRA_SIZE, b"v2")
    assert len(v1) >= 10 * CHUNK
    factory.upload("v1", v1, "first release")
    info = ok(factory.admin.get_wasm_version("v1"))
    assert info["size"] == len(v1) and info["chunk_count"] == 11 and tag(info["state"]) == "ready"
    assert bytes(info["sha256"]) == hashlib.sha256(v1).digest()
    assert one(factory.admin.get_default_wasm_version()) == ["v1"]

    me = factory.paying(owner)
    rec = ok(me.deploy_user_payment_canister(deploy_config(merchant_config(tokens=[(SYMBOL, ledger_id)]))))
    assert tag(rec["status"]) == "active" and rec["version"] == ["v1"]
    cid = ptext(rec["canister_id"][0])
    assert factory.module_hash(cid) == hashlib.sha256(v1).digest()
    with server.lock:
        controllers = {p.to_str() for p in server.network.canister(Principal.from_str(cid))["controllers"]}
    assert controllers == {factory.id}  # the factory alone: the owner cannot swap the module (docs/trust.md)

    # The deployed canister is a working merchant canister: a customer pays a checkout.
    shop = factory.merchant_actor(cid, owner)
    token = ok(shop.refresh_token(SYMBOL))
    assert token["verified"]
    session = ok(shop.create_checkout_session_with_options(session_args(5_000_000)))
    assert session["session_id"].startswith("cs_" + rec["routing_key"] + "_")
    assert ptext(ok(factory.anon.resolve_hosted_page_route(session["session_id"]))) == cid
    alice_ledger = LedgerClient(actor(server, ledger_id, alice, LEDGER_DID), alice)
    paid = alice_ledger.transfer(acct(cid, bytes(session["payment_subaccount"])), 5_000_000)
    assert "Ok" in paid, paid
    ok(factory.merchant_actor(cid, alice).complete_checkout_session(session["session_id"], str(paid["Ok"])))
    assert tag(ok(shop.get_checkout_session(session["session_id"]))["status"]) == "complete"

    # Upgrade by the owner: new module, same data.
    factory.upload("v2", v2, "second release")
    up = ok(me.upgrade_user_canister(cid, "v2"))
    assert up["version"] == ["v2"] and up["previous_version"] == ["v1"]
    assert factory.module_hash(cid) == hashlib.sha256(v2).digest()
    kept = ok(shop.get_checkout_session(session["session_id"]))
    assert tag(kept["status"]) == "complete" and kept["amount_received"] >= 5_000_000

    # Roll back to the previous version; the data is still there.
    back = ok(me.rollback_user_canister(cid))
    assert back["version"] == ["v1"]
    assert factory.module_hash(cid) == hashlib.sha256(v1).digest()
    assert tag(ok(shop.get_checkout_session(session["session_id"]))["status"]) == "complete"

    # Versions: v1 is default and installed, v2 is unused and can go.
    assert code(factory.admin.delete_wasm_version("v1")) == "in_use"
    ok(factory.admin.delete_wasm_version("v2"))
    assert code(factory.admin.get_wasm_version("v2")) == "not_found"
    page = ok(factory.admin.list_wasm_versions([], 10))
    assert [v["version"] for v in page["items"]] == ["v1"]
    stats = one(factory.admin.get_factory_stats())
    assert stats["active"] == 1 and stats["total_deployments"] == 1 and stats["wasm_versions"] == 1


def test_wasm_store_rejects_bad_uploads(factory, server):
    module = build_module(server)
    sha = hashlib.sha256(module).digest()
    admin = factory.admin
    assert code(admin.begin_wasm_upload("bad version!", len(module), sha, "")) == "invalid_argument"
    assert code(admin.begin_wasm_upload("v1", len(module), sha[:31], "")) == "invalid_argument"
    assert code(admin.begin_wasm_upload("v1", 200 * CHUNK, sha, "")) == "invalid_argument"
    ok(admin.begin_wasm_upload("v1", len(module), hashlib.sha256(b"other").digest(), ""))
    assert code(admin.begin_wasm_upload("v1", len(module), sha, "")) == "already_exists"
    assert code(admin.upload_wasm_chunk("v1", 1, b"x")) == "invalid_argument"
    assert code(admin.upload_wasm_chunk("v1", 0, module[:-1])) == "invalid_argument"
    assert code(admin.commit_wasm_upload("v1")) == "failed_precondition"
    ok(admin.upload_wasm_chunk("v1", 0, module))
    assert code(admin.commit_wasm_upload("v1")) == "hash_mismatch"
    assert code(admin.set_default_wasm_version("v1")) == "failed_precondition"
    ok(admin.abort_wasm_upload("v1"))
    junk = b"not a wasm module at all"
    ok(admin.begin_wasm_upload("junk", len(junk), hashlib.sha256(junk).digest(), ""))
    ok(admin.upload_wasm_chunk("junk", 0, junk))
    assert code(admin.commit_wasm_upload("junk")) == "invalid_module"
    assert (
        code(factory.as_(factory.admin_identity).deploy_user_payment_canister(deploy_config())) == "failed_precondition"
    )


def test_failed_install_is_tracked_retryable_and_cleanable(small, server, new_identity):
    factory = small
    factory.upload("broken", build_module(server, BROKEN_ENTRY), "init takes another argument")
    owner, stranger = new_identity(), new_identity()
    me = factory.paying(owner)
    message = err(me.deploy_user_payment_canister(deploy_config(version="broken")))
    assert message.startswith("install_failed")
    page = ok(me.list_canisters_by_owner(owner.sender().to_str(), [], 10))
    (rec,) = page["items"]
    assert tag(rec["status"]) == "failed" and rec["canister_id"] and rec["error"]
    dep_id = rec["deployment_id"]
    cid = ptext(rec["canister_id"][0])
    assert one(factory.admin.get_factory_stats())["failed"] == 1

    other = factory.as_(stranger)
    assert code(other.retry_deployment(dep_id, [])) == "unauthorized"
    assert code(other.cleanup_failed_deployment(dep_id)) == "unauthorized"
    assert code(factory.anon.retry_deployment(dep_id, [])) == "unauthorized"

    fixed = ok(me.retry_deployment(dep_id, ["v1"]))
    assert tag(fixed["status"]) == "active" and ptext(fixed["canister_id"][0]) == cid
    assert fixed["attempts"] == 2 and fixed["version"] == ["v1"]
    metrics = ok(factory.merchant_actor(cid, owner).get_merchant_metrics())
    assert metrics["routing_key"] == fixed["routing_key"]
    assert factory.module_hash(cid) == hashlib.sha256(build_module(server)).digest()
    assert code(me.cleanup_failed_deployment(dep_id)) == "failed_precondition"

    # A second failure is cleaned up: canister deleted, record kept as deleted, slot freed.
    err(me.deploy_user_payment_canister(deploy_config(version="broken")))
    failed = ok(me.list_canisters_by_owner(owner.sender().to_str(), [], 1))["items"][0]
    gone = ptext(failed["canister_id"][0])
    ok(me.cleanup_failed_deployment(failed["deployment_id"]))
    after = ok(factory.admin.get_deployment(failed["deployment_id"]))
    assert tag(after["status"]) == "deleted"
    with server.lock:
        assert Principal.from_str(gone).to_str() not in {p.to_str() for p in server.network.canister_ids()}
    assert code(factory.admin.get_user_canister(gone)) == "not_found"
    stats = one(factory.admin.get_factory_stats())
    assert stats["failed"] == 0 and stats["deleted"] == 1 and stats["active"] == 1


def submit_deploys(server, factory_id: str, senders: list, config: dict) -> list:
    """Submits one deploy per sender before any runs, interleaves them with the scheduler,
    and returns the decoded replies."""
    from localnet.runtime.typed import decode_reply, encode_call

    net = server.network
    with server.lock:
        fid = Principal.from_str(factory_id)
        arg = encode_call(net, fid, "deploy_user_payment_canister", [config])
        ids = [net.submit(Principal.from_str(s), fid, "deploy_user_payment_canister", arg) for s in senders]
        net.run_interleaved(seed=7)
        out = []
        for mid in ids:
            st = net.status(mid)
            assert st.state == "replied", (st.state, st.reject_message)
            out.append(decode_reply(net, fid, "deploy_user_payment_canister", st.reply))
    return out


def py_config() -> dict:
    return {
        "owner": None,
        "version": None,
        "merchant": {"name": "Shop", "website": None, "support_email": None, "tokens": []},
    }


def test_quota_holds_under_concurrent_deploys(server, deploy, actor, new_identity):
    factory = Factory(server, deploy, actor, new_identity, default_settings(max_canisters_per_owner=2))
    factory.upload("v1", build_module(server))
    owner = new_identity().sender().to_str()
    ok(factory.admin.grant_deployment_credits(owner, 5))
    results = submit_deploys(server, factory.id, [owner] * 5, py_config())
    oks = [r for r in results if "Ok" in r]
    errs = [r["Err"] for r in results if "Err" in r]
    assert len(oks) == 2, results
    assert len(errs) == 3 and all(e.startswith("quota_exceeded") for e in errs), errs
    page = ok(factory.admin.list_canisters_by_owner(owner, [], 10))
    assert len(page["items"]) == 2
    assert all(tag(r["status"]) == "active" for r in page["items"])


def test_cycles_policy_holds_under_concurrent_deploys(server, deploy, actor, new_identity):
    settings = default_settings(deploy_cycles=1_000_000_000_000, min_factory_cycles=2_000_000_000_000)
    factory = Factory(server, deploy, actor, new_identity, settings, cycles=4_500_000_000_000)
    factory.upload("v1", build_module(server))
    owners = [new_identity().sender().to_str() for _ in range(4)]
    for owner in owners:
        ok(factory.admin.grant_deployment_credits(owner, 1))
    results = submit_deploys(server, factory.id, owners, py_config())
    oks = [r for r in results if "Ok" in r]
    errs = [r["Err"] for r in results if "Err" in r]
    assert 1 <= len(oks) <= 2, results
    assert errs and all(e.startswith("insufficient_cycles") for e in errs), errs
    # a deployment that never got its canister gives its payment back (as a credit)
    credits = [one(factory.admin.get_deployment_credits(o)) for o in owners]
    assert credits == [0 if "Ok" in r else 1 for r in results], (credits, results)
    stats = one(factory.admin.get_factory_stats())
    assert stats["factory_cycles"] >= settings["min_factory_cycles"]
    assert stats["cycles_reserved"] == 0 and stats["active"] == len(oks)
