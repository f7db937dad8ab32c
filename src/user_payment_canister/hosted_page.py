"""The hosted checkout page as the merchant canister knows it: the owner-set origin it is
served under (every session's `url`, like Stripe's `session.url`, points there) and the
public facts the page shows about the merchant (its name, web site and support address: the page is seen by
customers who hold only a session id).

Where the page is served (the origin and each session's `url`) is in hosted_page_origin.py."""

from kybra import Opt, Record, query, text, update

from src.common.validation import check_url, invalid
from src.user_payment_canister.access_control import require_owner
from src.user_payment_canister.hosted_page_origin import base_url, set_base_url
from src.user_payment_canister.merchant_store import merchant_state
from src.user_payment_canister.merchant_types import MerchantUnitResult

BASE_URL_MAX = 200


class PublicMerchantProfile(Record):
    name: text
    website: Opt[text]
    support_email: Opt[text]
    hosted_page_base_url: text


def check_base_url(url: str) -> "str | None":
    err = check_url("url", url)
    if err is not None:
        return err
    if len(url) > BASE_URL_MAX:
        return invalid("url", "is longer than " + str(BASE_URL_MAX) + " characters")
    rest = url.split("://", 1)[1]
    if "/" in rest or "?" in rest or "#" in rest or "{" in url:
        return invalid("url", "must be an origin only, like https://checkout.example.com")
    return None


@update
def set_hosted_page_base_url(url: text) -> MerchantUnitResult:
    """Owners: the origin of the hosted checkout page; every session's `url` (derived when
    it is read) points under it from now on, except sessions with a custom_domain."""
    err = require_owner("set the hosted page URL") or check_base_url(url)
    if err is not None:
        return {"Err": err}
    set_base_url(url)
    return {"Ok": None}


@query
def get_public_merchant_profile() -> PublicMerchantProfile:
    """Public: what the hosted page and the modal show about the merchant."""
    state = merchant_state()
    return {
        "name": state["name"],
        "website": state["website"],
        "support_email": state["support_email"],
        "hosted_page_base_url": base_url(),
    }
