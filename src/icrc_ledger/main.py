"""ICRC-1/2/3 ledger canister for local development and tests (mainnet uses the real
ledgers; see docs/ledgers.md). The method set and types are those of the standards' .did."""

from kybra import (
    Opt,
    Vec,
    ic,
    init,
    nat,
    nat8,
    post_upgrade,
    query,
    text,
    update,
    void,
)

from src.common.icrc_types import (
    Account,
    Allowance,
    AllowanceArgs,
    ApproveArgs,
    ApproveResult,
    DataCertificate,
    GetArchivesArgs,
    GetBlocksRequest,
    GetBlocksResult,
    ICRC3ArchiveInfo,
    MetadataEntry,
    StandardRecord,
    SupportedBlockType,
    TransferArg,
    TransferFromArgs,
    TransferFromResult,
    TransferResult,
)
from src.icrc_ledger.ledger_accounts import (
    account_key,
    account_problem,
    account_value_parts,
    balance_of,
    current_allowance,
    set_balance,
)
from src.icrc_ledger.ledger_blocks import (
    SUPPORTED_BLOCK_TYPES,
    append_block,
    certify_tip,
    get_blocks,
    tip_certificate,
)
from src.icrc_ledger.ledger_ops import approve, transfer, transfer_from
from src.icrc_ledger.ledger_store import (
    LedgerInitArgs,
    config_map,
    get_config,
    get_counter,
    set_counter,
)

STANDARDS_URL = "https://github.com/dfinity/ICRC-1"


@init
def init(args: LedgerInitArgs) -> void:
    """Stores the configuration and mints the initial balances as 1mint blocks."""
    minting = args["minting_account"]
    problem = account_problem(minting)
    if problem != "":
        ic.trap("invalid minting_account: " + problem)
    decimals = args["decimals"]
    config_map.insert(
        "config",
        {
            "name": args["name"],
            "symbol": args["symbol"],
            "decimals": 8 if decimals is None else decimals,
            "fee": args["fee"],
            "minting_account": minting,
            "metadata": [] if args["metadata"] is None else args["metadata"],
        },
    )
    now = ic.time()
    total = 0
    for entry in args["initial_balances"]:
        account = entry[0]
        amount = entry[1]
        problem = account_problem(account)
        if problem != "":
            ic.trap("invalid initial balance account: " + problem)
        key = account_key(account)
        set_balance(key, balance_of(key) + amount)
        total += amount
        append_block(
            {
                "btype": "1mint",
                "ts": now,
                "phash": None,
                "fee": None,
                "amt": amount,
                "from_account": None,
                "to_account": account_value_parts(account),
                "spender": None,
                "tx_fee": None,
                "memo": None,
                "created_at_time": None,
                "expected_allowance": None,
                "expires_at": None,
            }
        )
    set_counter("total_supply", total)


@post_upgrade
def post_upgrade() -> void:
    """State lives in stable maps; only the certified tip must be set again."""
    certify_tip()


@query
def icrc1_name() -> text:
    return get_config()["name"]


@query
def icrc1_symbol() -> text:
    return get_config()["symbol"]


@query
def icrc1_decimals() -> nat8:
    return get_config()["decimals"]


@query
def icrc1_fee() -> nat:
    return get_config()["fee"]


@query
def icrc1_metadata() -> Vec[MetadataEntry]:
    config = get_config()
    entries = [
        ("icrc1:decimals", {"Nat": config["decimals"]}),
        ("icrc1:fee", {"Nat": config["fee"]}),
        ("icrc1:name", {"Text": config["name"]}),
        ("icrc1:symbol", {"Text": config["symbol"]}),
    ]
    for entry in config["metadata"]:
        if not entry[0].startswith("icrc1:"):
            entries.append((entry[0], entry[1]))
    return entries


@query
def icrc1_total_supply() -> nat:
    return get_counter("total_supply")


@query
def icrc1_minting_account() -> Opt[Account]:
    return get_config()["minting_account"]


@query
def icrc1_balance_of(account: Account) -> nat:
    """An invalid account (bad subaccount length) cannot hold funds: 0."""
    if account_problem(account) != "":
        return 0
    return balance_of(account_key(account))


@update
def icrc1_transfer(args: TransferArg) -> TransferResult:
    return transfer(ic.caller(), args)


@query
def icrc1_supported_standards() -> Vec[StandardRecord]:
    return [
        {"name": "ICRC-1", "url": STANDARDS_URL},
        {"name": "ICRC-2", "url": STANDARDS_URL},
        {"name": "ICRC-3", "url": STANDARDS_URL},
    ]


@update
def icrc2_approve(args: ApproveArgs) -> ApproveResult:
    return approve(ic.caller(), args)


@update
def icrc2_transfer_from(args: TransferFromArgs) -> TransferFromResult:
    return transfer_from(ic.caller(), args)


@query
def icrc2_allowance(args: AllowanceArgs) -> Allowance:
    """Allowance of spender on account; expired or absent reads as 0 / null."""
    if account_problem(args["account"]) != "" or account_problem(args["spender"]) != "":
        return {"allowance": 0, "expires_at": None}
    found = current_allowance(account_key(args["account"]), account_key(args["spender"]), ic.time())
    return {"allowance": found[0], "expires_at": found[1]}


@query
def icrc3_get_archives(args: GetArchivesArgs) -> Vec[ICRC3ArchiveInfo]:
    """This ledger keeps every block itself: no archives."""
    return []


@query
def icrc3_get_tip_certificate() -> Opt[DataCertificate]:
    return tip_certificate()


@query
def icrc3_get_blocks(args: Vec[GetBlocksRequest]) -> GetBlocksResult:
    return get_blocks(args)


@query
def icrc3_supported_block_types() -> Vec[SupportedBlockType]:
    out = []
    for entry in SUPPORTED_BLOCK_TYPES:
        out.append({"block_type": entry[0], "url": entry[1]})
    return out
