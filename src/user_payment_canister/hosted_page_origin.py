"""Where the hosted checkout page is served: the owner-set origin (its own stable map) and
the `url` of one session under it. Kept apart from the page's methods so the session store
can derive every session's `url` at read time (it is never stored) without an import cycle.

The origin is the checkout asset canister the merchant's customers use, e.g.
`https://checkout.ckpayment.io` (the default) or `http://<checkout-id>.localhost:4943`
locally. A session created with a `custom_domain` is served there instead
(`https://<custom_domain>/pay/<session id>`)."""

from kybra import StableBTreeMap, text

DEFAULT_BASE_URL = "https://checkout.ckpayment.io"
BASE_URL_KEY = "hosted_page_base_url"

hosted_page_map = StableBTreeMap[text, text](memory_id=90, max_key_size=60, max_value_size=300)


def base_url() -> str:
    stored = hosted_page_map.get(BASE_URL_KEY)
    return DEFAULT_BASE_URL if stored is None else stored


def set_base_url(url: str) -> None:
    hosted_page_map.insert(BASE_URL_KEY, url)


def session_url(session_id: str, custom_domain: "str | None") -> str:
    """The hosted page of one session (`/pay/<id>` is a route of the checkout page)."""
    if custom_domain is not None:
        return "https://" + custom_domain + "/pay/" + session_id
    return base_url() + "/pay/" + session_id
