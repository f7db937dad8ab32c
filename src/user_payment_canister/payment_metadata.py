"""The metadata a merchant gave a one-click charge (`execute_one_click_payment`), kept with
its payment: stored under the payment id before the ledger call's `yield`, so a resumed or
looked-up charge records it too; forgotten when the charge does not happen. Read with
`get_payment_metadata` (the payment record's stable layout is frozen)."""

from kybra import Vec, query, text

from src.common.ids import check_id
from src.common.merchant_api import MetadataPair
from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.merchant_store import payments_map
from src.user_payment_canister.merchant_types import PaymentMetadataResult
from src.user_payment_canister.service_store import payment_metadata_map


def keep_payment_metadata(payment_id: str, metadata: list) -> None:
    if len(metadata) > 0:
        payment_metadata_map.insert(payment_id, metadata)


def forget_payment_metadata(payment_id: str) -> None:
    payment_metadata_map.remove(payment_id)


def payment_metadata(payment_id: str) -> "Vec[MetadataPair]":
    stored = payment_metadata_map.get(payment_id)
    return [] if stored is None else stored


def metadata_object(payment_id: str) -> dict:
    """The metadata as the JSON object events carry."""
    return dict((m["key"], m["value"]) for m in payment_metadata(payment_id))


@query
def get_payment_metadata(payment_id: text) -> PaymentMetadataResult:
    """The metadata of a payment: what the merchant gave its one-click charge (a session's
    payment has its metadata on the session)."""
    err = require_staff("read payments") or check_id("payment_id", payment_id, "pay")
    if err is not None:
        return {"Err": err}
    if payments_map.get(payment_id) is None:
        return {"Err": "not_found: payment " + payment_id + " does not exist"}
    return {"Ok": payment_metadata(payment_id)}
