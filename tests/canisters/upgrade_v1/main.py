from kybra import Opt, Record, StableBTreeMap, Vec, init, nat64, pre_upgrade, query, update, void


class Item(Record):
    name: str
    price: nat64


items = StableBTreeMap[nat64, Item](memory_id=0, max_key_size=20, max_value_size=200)
meta = StableBTreeMap[str, str](memory_id=1, max_key_size=40, max_value_size=200)
heap_version: Vec[str] = ["v1"]


@init
def init_(label: str) -> void:
    meta.insert("label", label)


@pre_upgrade
def pre_upgrade_() -> void:
    meta.insert("pre_upgrade_ran", heap_version[0])


@update
def add(name: str, price: nat64) -> nat64:
    key = items.len()
    items.insert(key, {"name": name, "price": price})
    heap_version.append(name)
    return key


@query
def get(key: nat64) -> Opt[Item]:
    return items.get(key)


@query
def version() -> str:
    return "v1 heap=" + str(len(heap_version))


@query
def label() -> str:
    return meta.get("label") or ""
