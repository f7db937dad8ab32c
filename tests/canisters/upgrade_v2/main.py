from kybra import Opt, Record, StableBTreeMap, Vec, ic, nat64, post_upgrade, query, update, void


class Item(Record):
    name: str
    price: nat64
    tag: Opt[str]


items = StableBTreeMap[nat64, Item](memory_id=0, max_key_size=20, max_value_size=200)
meta = StableBTreeMap[str, str](memory_id=1, max_key_size=40, max_value_size=200)
heap_version: Vec[str] = ["v2"]


@post_upgrade
def post_upgrade_(note: str) -> void:
    meta.insert("note", note)
    ic.print("upgraded to v2: " + str(items.len()) + " items")


@update
def add(name: str, price: nat64, tag: Opt[str]) -> nat64:
    key = items.len()
    items.insert(key, {"name": name, "price": price, "tag": tag})
    return key


@query
def get(key: nat64) -> Opt[Item]:
    return items.get(key)


@query
def version() -> str:
    return "v2 heap=" + str(len(heap_version))


@query
def label() -> str:
    return meta.get("label") or ""


@query
def meta_value(key: str) -> str:
    return meta.get(key) or ""
