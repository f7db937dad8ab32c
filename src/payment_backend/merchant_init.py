"""The init argument the factory installs a merchant canister with.

Kybra has no typed Candid encoder for canister code, only `ic.candid_encode(text)`, which
infers types from the text. So the `MerchantInitArgs` value (src/common/merchant_api.py) is
written as Candid text here; it has no numbers, so inference cannot pick a wrong width.
"""

from kybra import ic


def candid_text(value: str) -> str:
    """A Candid text literal: quotes, backslashes and non-printable characters escaped."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif code < 32 or code == 127:
            out.append("\\u{" + format(code, "x") + "}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def candid_principal(principal_text: str) -> str:
    return "principal " + candid_text(principal_text)


def candid_opt_text(value: "str | None") -> str:
    return "null" if value is None else "opt " + candid_text(value)


def merchant_config_text(config: dict) -> str:
    tokens = []
    for token in config["tokens"]:
        tokens.append(
            "record { symbol = "
            + candid_text(token["symbol"])
            + "; ledger = "
            + candid_principal(token["ledger"].to_str())
            + " }"
        )
    return (
        "record { name = "
        + candid_text(config["name"])
        + "; website = "
        + candid_opt_text(config["website"])
        + "; support_email = "
        + candid_opt_text(config["support_email"])
        + "; tokens = vec { "
        + "; ".join(tokens)
        + " } }"
    )


def merchant_init_text(owners: list, routing_key: str, config: dict) -> str:
    """`(record { owners; factory; routing_key; config })` as Candid text."""
    owner_items = "; ".join([candid_principal(o) for o in owners])
    return (
        "(record { owners = vec { "
        + owner_items
        + " }"
        + "; factory = opt "
        + candid_principal(ic.id().to_str())
        + "; routing_key = "
        + candid_text(routing_key)
        + "; config = "
        + merchant_config_text(config)
        + " })"
    )


def encode_merchant_init(owners: list, routing_key: str, config: dict) -> "tuple":
    """(bytes, None) or (b'', error text) when the text cannot be encoded."""
    try:
        return (ic.candid_encode(merchant_init_text(owners, routing_key, config)), None)
    except Exception as exc:
        return (b"", "encode_error: merchant init argument: " + str(exc))
