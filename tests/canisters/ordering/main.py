from kybra import (
    Principal,
    Record,
    StableBTreeMap,
    Tuple,
    Vec,
    blob,
    ic,
    int64,
    nat,
    nat64,
    query,
    update,
    void,
)

by_int = StableBTreeMap[int64, str](memory_id=0, max_key_size=20, max_value_size=20)
by_nat = StableBTreeMap[nat, str](memory_id=1, max_key_size=30, max_value_size=20)
by_text = StableBTreeMap[str, nat64](memory_id=2, max_key_size=30, max_value_size=20)
by_principal = StableBTreeMap[Principal, nat64](memory_id=3, max_key_size=40, max_value_size=20)


class Transfer(Record):
    from_: str
    amount: nat64


transfers = StableBTreeMap[nat64, Transfer](memory_id=5, max_key_size=20, max_value_size=100)
by_pair = StableBTreeMap[Tuple[str, nat64], str](memory_id=4, max_key_size=40, max_value_size=20)


@update
def put_ints(keys: Vec[int64]) -> void:
    for k in keys:
        by_int.insert(k, str(k))


@update
def put_nats(keys: Vec[nat]) -> void:
    for k in keys:
        by_nat.insert(k, "n")


@update
def put_texts(keys: Vec[str]) -> void:
    for k in keys:
        by_text.insert(k, len(k))


@update
def put_principals(keys: Vec[Principal]) -> void:
    for k in keys:
        by_principal.insert(k, 1)


@update
def put_pairs(keys: Vec[Tuple[str, nat64]]) -> void:
    for k in keys:
        by_pair.insert(k, k[0])


@query
def int_keys() -> Vec[int64]:
    return by_int.keys()


@query
def nat_keys() -> Vec[nat]:
    return by_nat.keys()


@query
def text_keys() -> Vec[str]:
    return by_text.keys()


@query
def principal_keys() -> Vec[Principal]:
    return by_principal.keys()


@query
def pair_keys() -> Vec[Tuple[str, nat64]]:
    return by_pair.keys()


@query
def text_items() -> Vec[Tuple[str, nat64]]:
    return by_text.items()


@update
def remove_text(key: str) -> nat64:
    return by_text.remove(key) or 0


@query
def sizes() -> Vec[nat64]:
    return [by_int.len(), by_nat.len(), by_text.len(), by_principal.len(), by_pair.len()]


@query
def has_text(key: str) -> bool:
    return by_text.contains_key(key)


@query
def text_is_empty() -> bool:
    return by_text.is_empty()


@update
def raw_write(offset: nat64, data: blob) -> nat64:
    pages = ic.stable64_size()
    needed = (offset + len(data) + 65535) // 65536
    if needed > pages:
        ic.stable64_grow(needed - pages)
    ic.stable64_write(offset, data)
    return ic.stable64_size()


@query
def raw_read(offset: nat64, length: nat64) -> blob:
    return ic.stable64_read(offset, length)


@query
def raw_size() -> nat64:
    return ic.stable_size()


@update
def record_transfer(transfer: Transfer) -> Transfer:
    stored = {"from_": transfer["from_"] + "!", "amount": transfer["amount"]}
    transfers.insert(transfers.len(), stored)
    return transfers.get(transfers.len() - 1)
