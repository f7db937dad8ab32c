"""The hosted checkout page as the merchant canister knows it: where it is served (so every
new session carries its `url`, like Stripe's `session.url`) and the public facts the page
shows about the merchant (its name, web site and support address: the page is seen by
customers who hold only a session id).

The base URL is the checkout asset canister the merchant's customers use, e.g.
`https://checkout.ckpayment.io` (the default) or `http://<checkout-id>.localhost:4943`
locally; an owner sets it with `set_hosted_page_base_url`. A session created with a
`custom_domain` is served there instead (`https://<custom_domain>/pay/<session id>`)."""

from kybra import Opt, Record, StableBTreeMap, query, text, update

from src.common.validation import check_url, invalid
from src.user_payment_canister.access_control import require_owner
from src.user_payment_canister.merchant_store import merchant_state
from src.user_payment_canister.merchant_types import MerchantUnitResult

DEFAULT_BASE_URL = "https://checkout.ckpayment.io"
BASE_URL_MAX = 200
BASE_URL_KEY = "hosted_page_base_url"

hosted_page_map = StableBTreeMap[text, text](memory_id=90, max_key_size=60, max_value_size=300)


class PublicMerchantProfile(Record):
    name: text
    website: Opt[text]
    support_email: Opt[text]
    hosted_page_base_url: text


def base_url() -> str:
    stored = hosted_page_map.get(BASE_URL_KEY)
    return DEFAULT_BASE_URL if stored is None else stored


def session_url(session_id: str, custom_domain: "str | None") -> str:
    """The hosted page of one session (`/pay/<id>` is a route of the checkout page)."""
    if custom_domain is not None:
        return "https://" + custom_domain + "/pay/" + session_id
    return base_url() + "/pay/" + session_id


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
    """Owners: the origin of the hosted checkout page; sessions created afterwards get
    their `url` under it (earlier sessions keep theirs)."""
    err = require_owner("set the hosted page URL") or check_base_url(url)
    if err is not None:
        return {"Err": err}
    hosted_page_map.insert(BASE_URL_KEY, url)
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
