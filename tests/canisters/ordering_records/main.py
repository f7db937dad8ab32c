"""Record and Variant keys: Kybra derives Rust `Ord`, which compares a struct's fields and an
enum's variants in declaration order (not in Candid's field-id order)."""
from kybra import StableBTreeMap, Variant, Record, Vec, nat8, null, query, text, update, void


class Pair(Record):
    zeta: nat8   # declared first, though its Candid id is the larger
    alpha: text


class Level(Variant, total=False):
    High: null   # declared first, though its Candid id is the larger
    Low: null


by_pair = StableBTreeMap[Pair, nat8](memory_id=0, max_key_size=40, max_value_size=10)
by_level = StableBTreeMap[Level, nat8](memory_id=1, max_key_size=30, max_value_size=10)


@update
def put_pairs(pairs: Vec[Pair]) -> void:
    for p in pairs:
        by_pair.insert(p, 0)


@query
def pair_keys() -> Vec[Pair]:
    return by_pair.keys()


@update
def put_levels(levels: Vec[Level]) -> void:
    for level in levels:
        by_level.insert(level, 0)


@query
def level_keys() -> Vec[Level]:
    return by_level.keys()
