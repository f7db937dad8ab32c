"""The stable codes every `Err` text starts with (`not_found: session cs_... does not exist`),
one registry per canister: clients branch on the code, the text after it is for people.
tests/test_error_codes.py checks that every code the source writes is registered here and
that these tables are the ones docs/merchant.md, docs/factory.md and the README document.
The ledger and the XRC answer with their standards' error variants, not text."""

SHARED = {
    "invalid_argument": "an input failed validation (the text names the field)",
    "unauthorized": "the caller's role does not allow the method",
    "not_found": "no such object (the text names it)",
    "already_exists": "the object is already present",
    "limit_exceeded": "a count or amount limit was reached",
    "rate_limited": "too many calls or events from this caller",
    "blocked": "the risk rules or a blocklist refused the principal or payment",
    "failed_precondition": "the object is not in a state that allows the operation",
}

MERCHANT = {
    "conflict": "the state forbids it (complete session, operation in progress, last owner...)",
    "idempotency_error": "an idempotency key was used before with different parameters",
    "expired": "the session or pre-authorization expired",
    "insufficient_payment": "the session account holds less than the amount",
    "insufficient_allowance": "the ICRC-2 approval does not cover the amount",
    "insufficient_funds": "a ledger account or the book balance cannot cover amount + fee",
    "unsupported_token": "token not configured, disabled, not verified or not accepted",
    "nothing_to_refund": "the session account holds no more than the fee",
    "payer_unknown": "the payer of an ICRC-1 payment could not be read from the ledger",
    "ledger_error": "the ledger rejected the call or answered another error",
    "factory_unavailable": "the data needs the factory and it is unset or unreachable",
    "unavailable": "raw_rand failed, or a transfer's outcome is unknown (replayed later); retry",
    "verification_required": "a one-click charge needs a recent transaction verification",
    "revoked": "the pre-authorization was revoked",
    "allowance_expires_early": "the ledger allowance expires before the pre-authorization would",
    "locked": "a verification or customer is locked after too many wrong codes",
    "stale_rate": "the factory's USD rate for the token is too old to price with",
    "price_unavailable": "the factory has no USD rate for the token",
}

FACTORY = {
    "busy": "another operation on the object is running; retry",
    "in_use": "the module version is in use",
    "quota_exceeded": "the owner's canister quota is used up",
    "insufficient_cycles": "the factory cannot fund it and keep its reserve",
    "hash_mismatch": "the uploaded chunks do not hash to the given sha256",
    "invalid_module": "the module is neither Wasm nor gzip-compressed Wasm",
    "create_failed": "creating the canister failed (the deployment stays retryable)",
    "install_failed": "installing the module failed (the deployment stays retryable)",
    "upgrade_failed": "upgrading failed (the text may name the step, e.g. stop_failed)",
    "stop_failed": "stopping the canister for an upgrade failed",
    "start_failed": "starting the canister again failed",
    "cleanup_failed": "deleting a failed deployment's canister failed",
    "chunk_store_error": "the management canister's chunk store refused a step",
    "encode_error": "the merchant init argument could not be encoded",
    "status_failed": "canister_status failed",
    "deposit_failed": "depositing cycles failed",
    "not_configured": "a setting the call needs is not set (e.g. xrc_canister)",
    "payment_required": "a deployment or top-up nobody paid for",
    "implausible_report": "a merchant's metric report moved a total by an impossible step",
    "module_mismatch": "the canister does not run the module the factory installed",
    "report_via_shard": "the merchant reports through its report aggregator shard; the report waits for it",
    "shard_unavailable": "the merchant's report aggregator shard did not answer or refused; retry",
    "stale_rate": "a one-click charge's token has no USD rate younger than 900 s here",
    "price_unavailable": "a one-click charge's token is not priced here (or at another ledger)",
}

EXCHANGE_RATE = {
    "invalid_argument": "an input failed validation",
    "forbidden": "only the local XRC's admins set rates and admins",
}

# Texts that start with a code but are kept in records rather than returned as `Err`
# (rollout results and pause reasons, token market notes, risk reasons, reports upward).
REPORT_AGGREGATOR = {  # the shard bundles the factory's report checks (src/common/report_checks.py)
    "implausible_report": "a merchant's metric report moved a total by an impossible step",
}

RECORD_NOTES = {
    "not_opted_in": "rollout result: the owner has not opted in to managed upgrades",
    "canary_failed": "rollout pause reason: the canary batch had failures",
    "too_many_failures": "rollout pause reason: more canisters failed than allowed",
    "ledger_error": "token market note: a ledger query failed",
    "xrc_call_failed": "token market note: the XRC call was rejected",
    "xrc_error": "token market note: the XRC answered an error",
    "velocity": "risk reason: payments per hour or day at the limit",
    "payment_blocked": "suspicious-principal report: a payment was blocked",
    "unreachable": "report status: the report shard or factory call was rejected",
    "refused": "report status: the report shard or factory answered Err",
}


def merchant_codes() -> dict:
    codes = dict(SHARED)
    codes.update(MERCHANT)
    return codes


def report_aggregator_codes() -> dict:
    codes = dict(SHARED)
    codes.update(REPORT_AGGREGATOR)
    return codes


def factory_codes() -> dict:
    codes = dict(SHARED)
    codes.update(FACTORY)
    return codes
