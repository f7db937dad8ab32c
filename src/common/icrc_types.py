"""ICRC-1/2/3 Candid types (spec/icrc/*.did) and the ledger Service callers use.

Kybra spells Candid fields that are Python keywords with a trailing underscore
(`from_` is Candid `from`), as its cdk_framework keyword rule does. Type names
follow the DFINITY ledger .did (MetadataValue, ICRC3Value, TransferArg) so they
do not clash with other modules' names.
"""

from kybra import (
    Func,
    Opt,
    Principal,
    Query,
    Record,
    Service,
    Tuple,
    Variant,
    Vec,
    blob,
    nat,
    nat8,
    nat64,
    null,
    service_query,
    service_update,
    text,
)


class Account(Record):
    owner: Principal
    subaccount: Opt[blob]


class MetadataValue(Variant, total=False):
    Nat: nat
    Int: int
    Text: text
    Blob: blob


MetadataEntry = Tuple[text, MetadataValue]


class StandardRecord(Record):
    name: text
    url: text


class TransferArg(Record):
    from_subaccount: Opt[blob]
    to: Account
    amount: nat
    fee: Opt[nat]
    memo: Opt[blob]
    created_at_time: Opt[nat64]


class IcrcBadFee(Record):
    expected_fee: nat


class IcrcBadBurn(Record):
    min_burn_amount: nat


class IcrcInsufficientFunds(Record):
    balance: nat


class IcrcCreatedInFuture(Record):
    ledger_time: nat64


class IcrcDuplicate(Record):
    duplicate_of: nat


class IcrcGenericError(Record):
    error_code: nat
    message: text


class IcrcAllowanceChanged(Record):
    current_allowance: nat


class IcrcExpired(Record):
    ledger_time: nat64


class IcrcInsufficientAllowance(Record):
    allowance: nat


class TransferError(Variant, total=False):
    BadFee: IcrcBadFee
    BadBurn: IcrcBadBurn
    InsufficientFunds: IcrcInsufficientFunds
    TooOld: null
    CreatedInFuture: IcrcCreatedInFuture
    Duplicate: IcrcDuplicate
    TemporarilyUnavailable: null
    GenericError: IcrcGenericError


class TransferResult(Variant, total=False):
    Ok: nat
    Err: TransferError


class ApproveArgs(Record):
    from_subaccount: Opt[blob]
    spender: Account
    amount: nat
    expected_allowance: Opt[nat]
    expires_at: Opt[nat64]
    fee: Opt[nat]
    memo: Opt[blob]
    created_at_time: Opt[nat64]


class ApproveError(Variant, total=False):
    BadFee: IcrcBadFee
    InsufficientFunds: IcrcInsufficientFunds
    AllowanceChanged: IcrcAllowanceChanged
    Expired: IcrcExpired
    TooOld: null
    CreatedInFuture: IcrcCreatedInFuture
    Duplicate: IcrcDuplicate
    TemporarilyUnavailable: null
    GenericError: IcrcGenericError


class ApproveResult(Variant, total=False):
    Ok: nat
    Err: ApproveError


class TransferFromArgs(Record):
    spender_subaccount: Opt[blob]
    from_: Account
    to: Account
    amount: nat
    fee: Opt[nat]
    memo: Opt[blob]
    created_at_time: Opt[nat64]


class TransferFromError(Variant, total=False):
    BadFee: IcrcBadFee
    BadBurn: IcrcBadBurn
    InsufficientFunds: IcrcInsufficientFunds
    InsufficientAllowance: IcrcInsufficientAllowance
    TooOld: null
    CreatedInFuture: IcrcCreatedInFuture
    Duplicate: IcrcDuplicate
    TemporarilyUnavailable: null
    GenericError: IcrcGenericError


class TransferFromResult(Variant, total=False):
    Ok: nat
    Err: TransferFromError


class AllowanceArgs(Record):
    account: Account
    spender: Account


class Allowance(Record):
    allowance: nat
    expires_at: Opt[nat64]


class ICRC3Value(Variant, total=False):
    Blob: blob
    Text: text
    Nat: nat
    Int: int
    Array: Vec["ICRC3Value"]
    Map: Vec[Tuple[text, "ICRC3Value"]]


class GetArchivesArgs(Record):
    from_: Opt[Principal]


class ICRC3ArchiveInfo(Record):
    canister_id: Principal
    start: nat
    end: nat


class GetBlocksRequest(Record):
    start: nat
    length: nat


class BlockWithId(Record):
    id: nat
    block: ICRC3Value


GetBlocksCallback = Func(Query[[Vec[GetBlocksRequest]], "GetBlocksResult"])


class ArchivedBlocks(Record):
    args: Vec[GetBlocksRequest]
    callback: GetBlocksCallback


class GetBlocksResult(Record):
    log_length: nat
    blocks: Vec[BlockWithId]
    archived_blocks: Vec[ArchivedBlocks]


class DataCertificate(Record):
    certificate: blob
    hash_tree: blob


class SupportedBlockType(Record):
    block_type: text
    url: text


class IcrcLedger(Service):
    @service_query
    def icrc1_name(self) -> text: ...

    @service_query
    def icrc1_symbol(self) -> text: ...

    @service_query
    def icrc1_decimals(self) -> nat8: ...

    @service_query
    def icrc1_fee(self) -> nat: ...

    @service_query
    def icrc1_metadata(self) -> Vec[MetadataEntry]: ...

    @service_query
    def icrc1_total_supply(self) -> nat: ...

    @service_query
    def icrc1_minting_account(self) -> Opt[Account]: ...

    @service_query
    def icrc1_balance_of(self, account: Account) -> nat: ...

    @service_update
    def icrc1_transfer(self, args: TransferArg) -> TransferResult: ...

    @service_query
    def icrc1_supported_standards(self) -> Vec[StandardRecord]: ...

    @service_update
    def icrc2_approve(self, args: ApproveArgs) -> ApproveResult: ...

    @service_update
    def icrc2_transfer_from(self, args: TransferFromArgs) -> TransferFromResult: ...

    @service_query
    def icrc2_allowance(self, args: AllowanceArgs) -> Allowance: ...

    @service_query
    def icrc3_get_archives(self, args: GetArchivesArgs) -> Vec[ICRC3ArchiveInfo]: ...

    @service_query
    def icrc3_get_tip_certificate(self) -> Opt[DataCertificate]: ...

    @service_query
    def icrc3_get_blocks(self, args: Vec[GetBlocksRequest]) -> GetBlocksResult: ...

    @service_query
    def icrc3_supported_block_types(self) -> Vec[SupportedBlockType]: ...
