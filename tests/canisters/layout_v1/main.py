"""Three stable maps whose layouts layout_lowered and layout_retyped change on upgrade."""
from kybra import Opt, StableBTreeMap, nat64, query, update, void

notes = StableBTreeMap[str, str](memory_id=0, max_key_size=40, max_value_size=100)
counts = StableBTreeMap[nat64, nat64](memory_id=1, max_key_size=20, max_value_size=20)
spare = StableBTreeMap[str, str](memory_id=2, max_key_size=40, max_value_size=100)


@update
def put_note(key: str, value: str) -> void:
    notes.insert(key, value)


@query
def get_note(key: str) -> Opt[str]:
    return notes.get(key)


@query
def note_count() -> nat64:
    return notes.len()


@update
def put_count(key: nat64, value: nat64) -> void:
    counts.insert(key, value)


@query
def get_count(key: nat64) -> Opt[nat64]:
    return counts.get(key)


@update
def put_spare(key: str, value: str) -> void:
    spare.insert(key, value)


@query
def get_spare(key: str) -> Opt[str]:
    return spare.get(key)
