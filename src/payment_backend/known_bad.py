"""The factory's known-bad addresses and their addition log (seq -> address), which
merchants receive by version (pushed by security_push.py, pulled with
`get_known_bad_address_changes`)."""

from kybra import Record, StableBTreeMap, nat64, text

from src.payment_backend.factory_counters import top_seq
from src.payment_backend.index_pages import since


class KnownBadAddress(Record):
    reason: text
    added_at: nat64
    seq: nat64


known_bad_map = StableBTreeMap[text, KnownBadAddress](memory_id=63, max_key_size=220, max_value_size=1024)
known_bad_seq_map = StableBTreeMap[nat64, text](memory_id=64, max_key_size=24, max_value_size=220)


def known_bad_changes(since_seq: int, limit: int) -> dict:
    """Known-bad addresses added after since_seq, oldest first, at most limit (1-100)."""

    def lookup(seq: int):
        address = known_bad_seq_map.get(seq)
        bad = None if address is None else known_bad_map.get(address)
        return None if bad is None else {"seq": seq, "address": address, "reason": bad["reason"]}

    addresses, next_seq = since(lookup, top_seq("known_bad"), since_seq, limit)
    return {"addresses": addresses, "next_seq": next_seq}
