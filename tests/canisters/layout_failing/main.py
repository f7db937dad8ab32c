"""layout_v1's maps with raised sizes and a post_upgrade that traps: the upgrade fails."""
from kybra import StableBTreeMap, ic, nat64, post_upgrade, void

notes = StableBTreeMap[str, str](memory_id=0, max_key_size=80, max_value_size=100)
counts = StableBTreeMap[nat64, nat64](memory_id=1, max_key_size=20, max_value_size=20)


@post_upgrade
def post_upgrade_() -> void:
    ic.trap("refusing this upgrade")
