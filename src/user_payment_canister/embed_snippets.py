"""HTML snippets merchants paste into their pages (format documented in docs/merchant.md).
A snippet loads the component script from the URL in the factory's component registry and
marks a mount point with data attributes (`data-ckpay-component`, `data-canister-id` and the
modal/element id); the script finds these on load and renders from this canister."""


def attr(value: str) -> str:
    """HTML attribute/text escaping (stdlib `html` is not in Kybra's audited module list)."""
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def modal_snippet(script_url: str, canister_id: str, modal_id: str) -> str:
    return (
        "<!-- ckPayment checkout modal "
        + attr(modal_id)
        + " -->\n"
        + '<script src="'
        + attr(script_url)
        + '" defer></script>\n'
        + '<div id="ckpay-'
        + attr(modal_id)
        + '" data-ckpay-component="modal" data-canister-id="'
        + attr(canister_id)
        + '" data-modal-id="'
        + attr(modal_id)
        + '"></div>\n'
    )


def element_snippet(script_url: str, canister_id: str, element_id: str, component_type: str) -> str:
    return (
        "<!-- ckPayment element "
        + attr(element_id)
        + " ("
        + attr(component_type)
        + ") -->\n"
        + '<script src="'
        + attr(script_url)
        + '" defer></script>\n'
        + '<div id="ckpay-'
        + attr(element_id)
        + '" data-ckpay-component="element" data-element-type="'
        + attr(component_type)
        + '" data-canister-id="'
        + attr(canister_id)
        + '" data-element-id="'
        + attr(element_id)
        + '"></div>\n'
    )
