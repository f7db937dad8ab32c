"""The local ICRC-1/2/3 ledger against the standards, as a table of checks after DFINITY's
ICRC-1 test suite (dfinity/ICRC-1 `test/suite`: one named check per rule, each against a
fresh ledger with funded accounts). Everything goes through ic-py over HTTP on localnet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from ledger_client import (
    DECIMALS,
    DRIFT_NS,
    FEE,
    LEDGER_DID,
    LEDGER_ENTRY,
    MINTER_TEXT,
    NAME,
    ONE_SECOND_NS,
    SYMBOL,
    WINDOW_NS,
    LedgerClient,
    acct,
    as_bytes,
    ledger_init_arg,
    unwrap,
)

ALICE_FUNDS = 1_000_000_000
BOB_FUNDS = 50_000


@dataclass
class Env:
    server: object
    alice: LedgerClient
    bob: LedgerClient
    carol: LedgerClient
    minter: LedgerClient | None

    def now(self) -> int:
        with self.server.lock:
            return self.server.network.time_ns

    def advance(self, seconds: float) -> None:
        with self.server.lock:
            self.server.network.advance_time(seconds)

    def supply(self) -> int:
        return unwrap(self.alice.actor.icrc1_total_supply())


@pytest.fixture
def env(server, new_identity, deploy, actor):
    alice, bob, carol = new_identity(), new_identity(), new_identity()
    a, b = alice.sender().to_str(), bob.sender().to_str()
    canister_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(a, ALICE_FUNDS), (b, BOB_FUNDS)]))
    clients = [LedgerClient(actor(server, canister_id, ident, LEDGER_DID), ident) for ident in (alice, bob, carol)]
    return Env(server, *clients, minter=None)


@pytest.fixture
def minter_env(server, new_identity, deploy, actor):
    """A ledger whose minting account is a real identity, to exercise mints."""
    alice, bob, carol, minter = (new_identity() for _ in range(4))
    canister_id = deploy(
        server, LEDGER_ENTRY, ledger_init_arg([(alice.sender().to_str(), ALICE_FUNDS)], minter=minter.sender().to_str())
    )
    clients = [
        LedgerClient(actor(server, canister_id, ident, LEDGER_DID), ident) for ident in (alice, bob, carol, minter)
    ]
    return Env(server, *clients[:3], minter=clients[3])


def err(result: dict) -> tuple[str, object]:
    assert "Err" in result, f"expected an error, got {result}"
    ((name, payload),) = result["Err"].items()
    return name, payload


def ok(result: dict) -> int:
    assert "Ok" in result, f"expected Ok, got {result}"
    return result["Ok"]


# ---- ICRC-1 -------------------------------------------------------------------------------


def check_metadata(e: Env):
    actor = e.alice.actor
    assert unwrap(actor.icrc1_name()) == NAME
    assert unwrap(actor.icrc1_symbol()) == SYMBOL
    assert unwrap(actor.icrc1_decimals()) == DECIMALS
    assert unwrap(actor.icrc1_fee()) == FEE
    meta = {
        entry[0] if isinstance(entry, (list, tuple)) else entry["0"]: entry[1]
        if isinstance(entry, (list, tuple))
        else entry["1"]
        for entry in unwrap(actor.icrc1_metadata())
    }
    assert meta["icrc1:name"] == {"Text": NAME}
    assert meta["icrc1:symbol"] == {"Text": SYMBOL}
    assert meta["icrc1:decimals"] == {"Nat": DECIMALS}
    assert meta["icrc1:fee"] == {"Nat": FEE}
    assert meta["ckpay:test"] == {"Text": "yes"}


def check_supported_standards(e: Env):
    names = {s["name"] for s in unwrap(e.alice.actor.icrc1_supported_standards())}
    assert {"ICRC-1", "ICRC-2", "ICRC-3"} <= names


def check_minting_account(e: Env):
    minting = unwrap(e.alice.actor.icrc1_minting_account())
    assert len(minting) == 1 and minting[0]["owner"].to_str() == MINTER_TEXT
    assert minting[0]["subaccount"] == []


def check_initial_balances_and_supply(e: Env):
    assert e.alice.balance() == ALICE_FUNDS
    assert e.bob.balance() == BOB_FUNDS
    assert e.carol.balance() == 0
    assert e.supply() == ALICE_FUNDS + BOB_FUNDS


def check_transfer(e: Env):
    index = ok(e.alice.transfer(e.carol.account(), 1_000))
    assert index == 2  # blocks 0 and 1 are the initial mints
    assert e.alice.balance() == ALICE_FUNDS - 1_000 - FEE
    assert e.carol.balance() == 1_000
    assert e.supply() == ALICE_FUNDS + BOB_FUNDS - FEE  # the fee is burnt
    assert ok(e.alice.transfer(e.carol.account(), 5, fee=FEE)) == 3  # explicit correct fee


def check_subaccounts(e: Env):
    sub = bytes([7] * 32)
    ok(e.alice.transfer(e.carol.account(sub), 20_000))
    assert e.carol.balance(sub=sub) == 20_000
    assert e.carol.balance() == 0
    ok(e.carol.transfer(e.bob.account(), 500, from_subaccount=sub))
    assert e.carol.balance(sub=sub) == 20_000 - 500 - FEE
    # the all-zero subaccount is the default account
    ok(e.alice.transfer(e.carol.account(bytes(32)), 300))
    assert e.carol.balance() == 300


def check_bad_fee(e: Env):
    assert err(e.alice.transfer(e.carol.account(), 1, fee=FEE - 1)) == ("BadFee", {"expected_fee": FEE})
    assert e.alice.balance() == ALICE_FUNDS


def check_insufficient_funds(e: Env):
    assert err(e.bob.transfer(e.carol.account(), BOB_FUNDS)) == ("InsufficientFunds", {"balance": BOB_FUNDS})
    assert err(e.carol.transfer(e.bob.account(), 1)) == ("InsufficientFunds", {"balance": 0})
    ok(e.bob.transfer(e.carol.account(), BOB_FUNDS - FEE))  # exactly balance - fee works
    assert e.bob.balance() == 0


def check_burn(e: Env):
    minter = acct(MINTER_TEXT)
    assert err(e.alice.transfer(minter, FEE - 1)) == ("BadBurn", {"min_burn_amount": FEE})
    assert err(e.alice.transfer(minter, FEE, fee=FEE)) == ("BadFee", {"expected_fee": 0})
    ok(e.alice.transfer(minter, 5 * FEE))
    assert e.alice.balance() == ALICE_FUNDS - 5 * FEE  # burns pay no fee
    assert e.supply() == ALICE_FUNDS + BOB_FUNDS - 5 * FEE


def check_mint(e: Env):
    me = e.minter
    supply = e.supply()
    assert err(me.transfer(e.carol.account(), 10, fee=FEE)) == ("BadFee", {"expected_fee": 0})
    ok(me.transfer(e.carol.account(), 777))
    assert e.carol.balance() == 777
    assert e.supply() == supply + 777
    assert err(me.transfer(me.account(), 1))[0] == "GenericError"


def check_memo(e: Env):
    ok(e.alice.transfer(e.carol.account(), 1, memo=bytes(range(32))))
    name, payload = err(e.alice.transfer(e.carol.account(), 1, memo=bytes(33)))
    assert name == "GenericError" and "memo" in payload["message"]
    assert e.carol.balance() == 1


def check_invalid_subaccount(e: Env):
    name, payload = err(e.alice.transfer(e.carol.account(bytes(5)), 1))
    assert name == "GenericError" and "subaccount" in payload["message"]
    assert e.alice.balance(sub=bytes(5)) == 0


def check_deduplication(e: Env):
    now = e.now()
    first = ok(e.alice.transfer(e.carol.account(), 10, memo=b"m1", created_at_time=now))
    assert err(e.alice.transfer(e.carol.account(), 10, memo=b"m1", created_at_time=now)) == (
        "Duplicate",
        {"duplicate_of": first},
    )
    # another memo, another fee field or another caller is another transaction
    ok(e.alice.transfer(e.carol.account(), 10, memo=b"m2", created_at_time=now))
    ok(e.alice.transfer(e.carol.account(), 10, memo=b"m1", fee=FEE, created_at_time=now))
    ok(e.bob.transfer(e.carol.account(), 10, memo=b"m1", created_at_time=now))
    # without created_at_time nothing is deduplicated
    ok(e.alice.transfer(e.carol.account(), 10))
    ok(e.alice.transfer(e.carol.account(), 10))
    assert e.carol.balance() == 60
    # still a duplicate late in the 24 h window
    e.advance(23 * 3600)
    assert err(e.alice.transfer(e.carol.account(), 10, memo=b"m1", created_at_time=now)) == (
        "Duplicate",
        {"duplicate_of": first},
    )
    # past the window (+ drift) the same request is TooOld, and its entry can be pruned
    e.advance(3600 + 2 * 60 + 1)
    assert err(e.alice.transfer(e.carol.account(), 10, memo=b"m1", created_at_time=now)) == ("TooOld", None)
    ok(e.alice.transfer(e.carol.account(), 10, memo=b"m1", created_at_time=e.now()))


def check_too_old(e: Env):
    now = e.now()
    assert err(e.alice.transfer(e.carol.account(), 1, created_at_time=now - WINDOW_NS - DRIFT_NS - ONE_SECOND_NS)) == (
        "TooOld",
        None,
    )
    ok(e.alice.transfer(e.carol.account(), 1, created_at_time=now - WINDOW_NS + ONE_SECOND_NS))


def check_created_in_future(e: Env):
    now = e.now()
    name, payload = err(e.alice.transfer(e.carol.account(), 1, created_at_time=now + DRIFT_NS + ONE_SECOND_NS))
    assert name == "CreatedInFuture" and payload["ledger_time"] >= now
    ok(e.alice.transfer(e.carol.account(), 1, created_at_time=now + DRIFT_NS // 2))


# ---- ICRC-2 -------------------------------------------------------------------------------


def check_approve(e: Env):
    ok(e.alice.approve(e.bob.account(), 5_000))
    assert e.alice.allowance(e.alice.account(), e.bob.account()) == (5_000, None)
    assert e.alice.balance() == ALICE_FUNDS - FEE  # the approver pays the fee
    # the approval replaces (not adds to) the previous one
    ok(e.alice.approve(e.bob.account(), 1_000))
    assert e.alice.allowance(e.alice.account(), e.bob.account()) == (1_000, None)
    # allowances are per spender account (subaccount included)
    assert e.alice.allowance(e.alice.account(), e.bob.account(bytes([1] * 32))) == (0, None)


def check_approve_errors(e: Env):
    now = e.now()
    assert err(e.alice.approve(e.bob.account(), 1, fee=1)) == ("BadFee", {"expected_fee": FEE})
    assert err(e.carol.approve(e.bob.account(), 1)) == ("InsufficientFunds", {"balance": 0})
    name, payload = err(e.alice.approve(e.bob.account(), 1, expires_at=now - 1))
    assert name == "Expired" and payload["ledger_time"] >= now
    ok(e.alice.approve(e.bob.account(), 100))
    assert err(e.alice.approve(e.bob.account(), 50, expected_allowance=99)) == (
        "AllowanceChanged",
        {"current_allowance": 100},
    )
    ok(e.alice.approve(e.bob.account(), 50, expected_allowance=100))
    assert err(e.alice.approve(e.alice.account(bytes([2] * 32)), 1))[0] == "GenericError"
    assert err(e.alice.approve(e.bob.account(), 1, memo=bytes(40)))[0] == "GenericError"
    ts = e.now()
    first = ok(e.alice.approve(e.bob.account(), 7, created_at_time=ts))
    assert err(e.alice.approve(e.bob.account(), 7, created_at_time=ts)) == ("Duplicate", {"duplicate_of": first})


def check_allowance_expiry(e: Env):
    expires = e.now() + 10 * ONE_SECOND_NS
    ok(e.alice.approve(e.bob.account(), 10_000, expires_at=expires))
    assert e.alice.allowance(e.alice.account(), e.bob.account()) == (10_000, expires)
    e.advance(20)
    assert e.alice.allowance(e.alice.account(), e.bob.account()) == (0, None)
    assert err(e.bob.transfer_from(e.alice.account(), e.carol.account(), 1)) == (
        "InsufficientAllowance",
        {"allowance": 0},
    )


def check_transfer_from(e: Env):
    ok(e.alice.approve(e.bob.account(), 100_000))
    ok(e.bob.transfer_from(e.alice.account(), e.carol.account(), 30_000))
    assert e.carol.balance() == 30_000
    assert e.alice.balance() == ALICE_FUNDS - FEE - 30_000 - FEE
    assert e.bob.balance() == BOB_FUNDS  # the spender pays nothing
    assert e.alice.allowance(e.alice.account(), e.bob.account()) == (100_000 - 30_000 - FEE, None)


def check_transfer_from_errors(e: Env):
    ok(e.alice.approve(e.bob.account(), 1_000))
    assert err(e.bob.transfer_from(e.alice.account(), e.carol.account(), 1_000)) == (
        "InsufficientAllowance",
        {"allowance": 1_000},
    )  # amount + fee exceeds it
    assert err(e.carol.transfer_from(e.alice.account(), e.carol.account(), 1)) == (
        "InsufficientAllowance",
        {"allowance": 0},
    )
    assert err(e.bob.transfer_from(e.alice.account(), e.carol.account(), 1, fee=0)) == ("BadFee", {"expected_fee": FEE})
    # a large allowance over a small balance: InsufficientFunds
    ok(e.bob.approve(e.carol.account(), 10 * BOB_FUNDS))
    assert err(e.carol.transfer_from(e.bob.account(), e.carol.account(), BOB_FUNDS)) == (
        "InsufficientFunds",
        {"balance": BOB_FUNDS - FEE},
    )
    # a failed call consumes nothing
    assert e.alice.allowance(e.alice.account(), e.bob.account()) == (1_000, None)


def check_transfer_from_burn_and_dedup(e: Env):
    ok(e.alice.approve(e.bob.account(), 100_000))
    minter = acct(MINTER_TEXT)
    assert err(e.bob.transfer_from(e.alice.account(), minter, FEE - 1)) == ("BadBurn", {"min_burn_amount": FEE})
    supply = e.supply()
    ok(e.bob.transfer_from(e.alice.account(), minter, 20_000))
    assert e.supply() == supply - 20_000
    assert e.alice.allowance(e.alice.account(), e.bob.account()) == (80_000, None)
    ts = e.now()
    first = ok(e.bob.transfer_from(e.alice.account(), e.carol.account(), 1, created_at_time=ts))
    assert err(e.bob.transfer_from(e.alice.account(), e.carol.account(), 1, created_at_time=ts)) == (
        "Duplicate",
        {"duplicate_of": first},
    )


# ---- ICRC-3 -------------------------------------------------------------------------------


def _map(block: dict) -> dict:
    return {
        (x[0] if isinstance(x, (list, tuple)) else x["0"]): (x[1] if isinstance(x, (list, tuple)) else x["1"])
        for x in block["Map"]
    }


def check_block_schema(e: Env):
    ok(e.alice.transfer(e.carol.account(), 1_000, memo=b"hello"))  # 2: 1xfer, fee on block
    ok(e.alice.transfer(e.carol.account(), 1_000, fee=FEE))  # 3: 1xfer, tx.fee
    ok(e.alice.approve(e.bob.account(), 50_000, expires_at=e.now() + 10**12))  # 4: 2approve
    ok(e.bob.transfer_from(e.alice.account(), e.carol.account(), 2_000))  # 5: 2xfer
    ok(e.alice.transfer(acct(MINTER_TEXT), FEE))  # 6: 1burn
    got = e.alice.blocks([(0, 100)])
    assert got["log_length"] == 7 and got["archived_blocks"] == []
    blocks = [_map(b["block"]) for b in got["blocks"]]
    assert [b["btype"]["Text"] for b in blocks] == ["1mint", "1mint", "1xfer", "1xfer", "2approve", "2xfer", "1burn"]
    assert "phash" not in blocks[0] and all("phash" in b for b in blocks[1:])
    mint_tx = _map(blocks[0]["tx"])
    assert mint_tx["amt"] == {"Nat": ALICE_FUNDS}
    owner = as_bytes(mint_tx["to"]["Array"][0]["Blob"])
    assert owner == e.alice.identity.sender().bytes
    xfer, xfer_tx = blocks[2], _map(blocks[2]["tx"])
    assert xfer["fee"] == {"Nat": FEE} and "fee" not in xfer_tx
    assert as_bytes(xfer_tx["memo"]["Blob"]) == b"hello"
    assert "fee" not in blocks[3] and _map(blocks[3]["tx"])["fee"] == {"Nat": FEE}
    approve_tx = _map(blocks[4]["tx"])
    assert approve_tx["amt"] == {"Nat": 50_000} and "expires_at" in approve_tx
    assert as_bytes(approve_tx["spender"]["Array"][0]["Blob"]) == e.bob.identity.sender().bytes
    assert as_bytes(_map(blocks[5]["tx"])["spender"]["Array"][0]["Blob"]) == e.bob.identity.sender().bytes
    assert "fee" not in blocks[6]
    types = {t["block_type"] for t in unwrap(e.alice.actor.icrc3_supported_block_types())}
    assert types == {"1mint", "1burn", "1xfer", "2approve", "2xfer"}
    assert unwrap(e.alice.actor.icrc3_get_archives({"from": []})) == []


def check_block_pagination(e: Env):
    for i in range(100):
        ok(e.alice.transfer(e.carol.account(), 1 + i))
    got = e.alice.blocks([(0, 1_000)])
    assert got["log_length"] == 102
    assert [b["id"] for b in got["blocks"]] == list(range(100))  # capped per call
    got = e.alice.blocks([(100, 50)])
    assert [b["id"] for b in got["blocks"]] == list(range(100, 102))
    got = e.alice.blocks([(5, 2), (50, 1), (500, 10)])
    assert [b["id"] for b in got["blocks"]] == [5, 6, 50]
    assert _map(_map(got["blocks"][2]["block"])["tx"])["amt"] == {"Nat": 1 + 48}


@dataclass
class Check:
    name: str
    rule: str
    run: Callable[[Env], None]
    fixture: str = "env"


CHECKS = [
    Check("icrc1:metadata", "name/symbol/decimals/fee and icrc1:* metadata", check_metadata),
    Check("icrc1:supported_standards", "lists ICRC-1, ICRC-2, ICRC-3", check_supported_standards),
    Check("icrc1:minting_account", "init minting account", check_minting_account),
    Check("icrc1:initial_balances", "init balances and total supply", check_initial_balances_and_supply),
    Check("icrc1:transfer", "moves amount, burns fee, returns block index", check_transfer),
    Check("icrc1:subaccounts", "32-byte subaccounts, zero = default", check_subaccounts),
    Check("icrc1:bad_fee", "BadFee{expected_fee}", check_bad_fee),
    Check("icrc1:insufficient_funds", "InsufficientFunds{balance}", check_insufficient_funds),
    Check("icrc1:burn", "to minting account: no fee, BadBurn below fee", check_burn),
    Check("icrc1:mint", "from minting account: no fee, supply grows", check_mint, "minter_env"),
    Check("icrc1:memo", "memo <= 32 bytes else GenericError", check_memo),
    Check("icrc1:invalid_subaccount", "non-32-byte subaccount: GenericError", check_invalid_subaccount),
    Check("icrc1:tx_deduplication", "Duplicate{duplicate_of} within 24 h", check_deduplication),
    Check("icrc1:too_old", "TooOld before now - 24 h - 60 s", check_too_old),
    Check("icrc1:created_in_future", "CreatedInFuture after now + 60 s", check_created_in_future),
    Check("icrc2:approve", "sets allowance, approver pays fee", check_approve),
    Check("icrc2:approve_errors", "BadFee/InsufficientFunds/Expired/AllowanceChanged/Duplicate", check_approve_errors),
    Check("icrc2:allowance_expiry", "expired allowance reads 0 and cannot be spent", check_allowance_expiry),
    Check("icrc2:transfer_from", "allowance lowered by amount + fee", check_transfer_from),
    Check("icrc2:transfer_from_errors", "InsufficientAllowance/InsufficientFunds/BadFee", check_transfer_from_errors),
    Check("icrc2:transfer_from_burn_dedup", "burn via allowance, Duplicate", check_transfer_from_burn_and_dedup),
    Check("icrc3:block_schema", "btype blocks per ICRC-3 schema", check_block_schema),
    Check("icrc3:pagination", "get_blocks ranges, capped per call", check_block_pagination),
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_icrc_check(check: Check, request):
    check.run(request.getfixturevalue(check.fixture))
