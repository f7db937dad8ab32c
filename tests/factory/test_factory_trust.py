"""Issue 16: what a merchant owner can make the factory believe or spend (docs/trust.md).

The rogue canister is the probe (tests/factory/probe) installed by an owner on a canister
the owner controls: the factory refuses every merchant-only call from it (poisoning the
blocklist, the metrics and a victim's cross-merchant limit), and makes it pay for the
deployment it asks for. An owner cannot turn the merchant canister the factory deployed
into such a canister, because the factory is its only controller. One owner's several
canisters count as one witness when reports would block a principal network-wide."""

from __future__ import annotations

import hashlib

import pytest
from factory_client import (
    PROBE_ENTRY_PATH,
    build_module,
    code,
    deploy_config,
    management_call,
    merchant_config,
    ok,
    one,
    ptext,
)
from kybra import Principal

NEW_MERCHANT = (
    '(record { owner = null; version = null; merchant = record { name = "Drain"; '
    "website = null; support_email = null; tokens = vec {} } })"
)


def probe_init(factory_id: str, owner: str) -> str:
    return (
        f'(record {{ owners = vec {{ principal "{owner}" }}; factory = opt principal "{factory_id}"; '
        'routing_key = "rogue"; config = record { name = "Rogue"; website = null; support_email = null; '
        "tokens = vec {} } })"
    )


def probe_init_bytes(probe_did: str, factory_id: str, owner: str) -> bytes:
    from localnet.candid import binary, text
    from localnet.candid.did import parse_did

    with open(probe_did, encoding="utf-8") as f:
        desc = parse_did(f.read())
    types = list(desc.init_args)
    return binary.encode(types, text.parse_args(probe_init(factory_id, owner), types, desc.env), desc.env)


def cycles_of(server, canister_id: str) -> int:
    with server.lock:
        return server.network.canister(Principal.from_str(canister_id))["cycles"]


def test_owner_cannot_swap_the_module_of_the_merchant_canister(small, server, new_identity, probe_did):
    """Attack 1's first step: the owner reinstalls its merchant canister with its own code.
    The factory is the only controller, so the IC refuses it and the approved module runs."""
    f = small
    owner = new_identity()
    rec = ok(f.paying(owner).deploy_user_payment_canister(deploy_config()))
    cid = ptext(rec["canister_id"][0])
    approved = f.module_hash(cid)
    with server.lock:
        controllers = {p.to_str() for p in server.network.canister(Principal.from_str(cid))["controllers"]}
    assert controllers == {f.id}
    rogue = build_module(server, PROBE_ENTRY_PATH)
    with pytest.raises(Exception) as refused:
        management_call(
            server,
            owner,
            "install_code",
            {
                "mode": {"reinstall": None},
                "canister_id": Principal.from_str(cid),
                "wasm_module": rogue,
                "arg": probe_init_bytes(probe_did, f.id, owner.sender().to_str()),
                "sender_canister_version": None,
            },
            cid,
        )
    assert "controller" in str(refused.value).lower()
    assert f.module_hash(cid) == approved and approved != hashlib.sha256(rogue).digest()


def test_owner_controlled_rogue_canister_is_refused(small, server, deploy, actor, new_identity, probe_did):
    """Attacks 1, 2 and 5 from a canister the owner controls and runs its own code on."""
    f = small
    owner = new_identity()
    victim = new_identity().sender().to_str()
    rogue_id = deploy(
        server, PROBE_ENTRY_PATH, probe_init(f.id, owner.sender().to_str()), controllers=[owner], cycles=10**14
    )
    rogue = actor(server, rogue_id, owner, probe_did)
    report = {
        "transaction_count": 10**6,
        "successful_payments": 10**6,
        "failed_payments": 0,
        "refunded_payments": 0,
        "sessions_created": 10**6,
        "sessions_completed": 10**6,
        "modal_views": 0,
        "hosted_page_views": 0,
        "volume_usd_cents": 10**12,
        "volume_by_token": [],
        "template_conversions": [],
        "region": [],
        "industry": [],
    }
    # 1: poisoning the blocklist, the metrics, the one-click network
    for _ in range(3):
        assert code(rogue.probe_suspicious(victim, "fraud: made up")) == "unauthorized"
    assert code(rogue.probe_report(report)) == "unauthorized"
    assert code(rogue.probe_register_one_click(rogue_id)) == "not_found"  # not a canister of this factory
    ok(f.admin.update_threat_intelligence())
    assert one(f.anon.check_principal_reputation(victim))["reports"] == 0
    assert one(f.anon.get_system_analytics())["total_system_volume"] == 0
    # 5: exhausting a victim's daily cross-merchant limit
    assert code(rogue.probe_one_click_payment(victim, 10**9)) == "unauthorized"
    reply = one(rogue.probe_call("reserve_cross_merchant_spend", f'(principal "{victim}", 1_000_000 : nat64)', 0))
    assert "unauthorized" in reply, reply
    assert one(f.anon.validate_cross_merchant_limits(victim, 1)) == {"Ok": True}
    # 2: making the factory pay for a new canister
    settings = one(f.admin.get_factory_settings())
    before = cycles_of(server, f.id)
    reply = one(rogue.probe_call("deploy_user_payment_canister", NEW_MERCHANT, 0))
    assert "payment_required" in reply, reply
    assert one(f.admin.get_factory_stats())["total_deployments"] == 0
    reply = one(rogue.probe_call("deploy_user_payment_canister", NEW_MERCHANT, settings["deploy_cycles"] - 1))
    assert "payment_required" in reply, reply
    assert cycles_of(server, f.id) >= before - 10**9  # nothing spent, the attached cycles went back
    # paying its way is fine: the deployment costs the factory nothing
    reply = one(rogue.probe_call("deploy_user_payment_canister", NEW_MERCHANT, settings["deploy_cycles"]))
    assert "17_724 = record" in reply and '"dep_1"' in reply, reply  # 17_724: the field id of `Ok` (untyped decode)
    assert cycles_of(server, f.id) >= before - 10**9
    assert one(f.admin.get_factory_stats())["total_deployments"] == 1


def test_one_owner_is_one_witness_for_auto_blocks(small, server, actor, new_identity, probe_did):
    """Three canisters of one owner report a principal: one witness, no auto-block. Reports
    from the canisters of three independent owners make it a block candidate."""
    f = small
    f.upload("probe", build_module(server, PROBE_ENTRY_PATH), "probe merchant")
    victim = new_identity().sender().to_str()
    owner = new_identity()
    mine = f.paying(owner, 3)
    for i in range(3):
        rec = ok(mine.deploy_user_payment_canister(deploy_config(merchant_config("Mine %d" % i), version="probe")))
        probe = actor(server, ptext(rec["canister_id"][0]), owner, probe_did)
        ok(probe.probe_suspicious(victim, "fraud: one owner, three canisters"))
    ok(f.admin.update_threat_intelligence())
    rep = one(f.anon.check_principal_reputation(victim))
    assert rep["reports"] == 1 and rep["blocked"] is False
    for _ in range(2):
        other = new_identity()
        rec = ok(f.paying(other, 1).deploy_user_payment_canister(deploy_config(version="probe")))
        ok(actor(server, ptext(rec["canister_id"][0]), other, probe_did).probe_suspicious(victim, "fraud: seen too"))
    ok(f.admin.update_threat_intelligence())
    rep = one(f.anon.check_principal_reputation(victim))
    assert rep["reports"] == 3 and rep["blocked"] is True


def test_a_co_controlled_canister_is_believed_only_after_its_module_checks_out(
    small, server, actor, new_identity, probe_did
):
    """A canister whose owner is (still) a co-controller, as before issue 16: the owner
    swaps in the probe. `secure_user_canister` removes the owner as controller, then reads
    the module hash: the probe is not the version the registry records, so the factory stops
    believing the canister; once the owner upgrades it to an approved version and secures it
    again, its reports count again."""
    from factory_client import inject_controllers

    f = small
    f.upload("probe", build_module(server, PROBE_ENTRY_PATH), "probe merchant")
    owner = new_identity()
    rec = ok(f.paying(owner).deploy_user_payment_canister(deploy_config(version="probe")))
    cid = ptext(rec["canister_id"][0])
    probe = actor(server, cid, owner, probe_did)
    victim = new_identity().sender().to_str()
    inject_controllers(server, f.id, cid, [f.id, owner.sender().to_str()])  # the old layout
    from localnet.runtime.module import custom_section

    rogue = build_module(server, PROBE_ENTRY_PATH) + custom_section("rogue", b"swapped by the owner")
    management_call(
        server,
        owner,
        "install_code",
        {
            "mode": {"reinstall": None},
            "canister_id": Principal.from_str(cid),
            "wasm_module": rogue,
            "arg": probe_init_bytes(probe_did, f.id, owner.sender().to_str()),
            "sender_canister_version": None,
        },
        cid,
    )
    assert f.module_hash(cid) == hashlib.sha256(rogue).digest()
    assert code(f.as_(new_identity()).secure_user_canister(cid)) == "unauthorized"
    assert code(f.as_(owner).secure_user_canister(cid)) == "module_mismatch"
    with server.lock:
        controllers = {p.to_str() for p in server.network.canister(Principal.from_str(cid))["controllers"]}
    assert controllers == {f.id}
    assert code(probe.probe_suspicious(victim, "fraud: swapped code")) == "unauthorized"
    f.upload("probe2", build_module(server, PROBE_ENTRY_PATH) + custom_section("v", b"2"), "probe, approved again")
    ok(f.as_(owner).upgrade_user_canister(cid, "probe2"))
    ok(f.as_(owner).secure_user_canister(cid))
    ok(probe.probe_suspicious(victim, "fraud: approved code"))
    assert one(f.anon.check_principal_reputation(victim))["reports"] == 1


def forged_bulletin(victim: str) -> str:
    return (
        "(record { blocklist_from_seq = 0 : nat64; blocklist = record { changes = vec { record { seq = 1 : nat64; "
        f'principal_id = principal "{victim}"; blocked = true; reason = "forged"; changed_at = 0 : nat64 }} }}; '
        "next_seq = 1 : nat64 }; known_bad_from_seq = 0 : nat64; known_bad = record { addresses = vec {}; "
        "next_seq = 0 : nat64 }; alerts_from_seq = 0 : nat64; alerts = record { alerts = vec { record { "
        'alert_seq = 1 : nat64; severity = "critical"; title = "Send your funds"; message = "forged"; '
        "issued_at = 0 : nat64 } }; next_seq = 1 : nat64 }; reputation_from_seq = 0 : nat64; "
        "reputation = record { changes = vec {}; next_seq = 0 : nat64 }; fraud_patterns = null })"
    )


def test_only_the_factory_may_push_security_updates_to_a_merchant(small, server, actor, new_identity, probe_did):
    """Issue 16 #4: a merchant canister takes pushed security updates and system alerts
    only from its own factory: another canister of the same factory (the probe, a
    registered merchant) cannot block a principal there or plant an alert."""
    f = small
    f.upload("probe", build_module(server, PROBE_ENTRY_PATH), "probe merchant")
    owner, victim = new_identity(), new_identity().sender().to_str()
    mine = f.paying(owner, 2)
    cid = ptext(ok(mine.deploy_user_payment_canister(deploy_config(merchant_config("Real"))))["canister_id"][0])
    rec = ok(mine.deploy_user_payment_canister(deploy_config(merchant_config("Probe"), version="probe")))
    probe = actor(server, ptext(rec["canister_id"][0]), owner, probe_did)
    reply = one(probe.probe_call_canister(cid, "receive_security_bulletin", forged_bulletin(victim)))
    assert "unauthorized: only this canister's factory" in reply, reply
    merchant = f.merchant_actor(cid, owner)
    assert ok(merchant.get_factory_reporting_status())["blocklist_seq"] == 0
    assert ok(merchant.list_system_alerts([], []))["items"] == []
