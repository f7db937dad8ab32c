"""A module whose post_upgrade traps: every upgrade to it fails and leaves the old module."""
from kybra import ic, post_upgrade, query, void


@query
def ping() -> str:
    return "refused"


@post_upgrade
def post_upgrade_() -> void:
    ic.trap("refusing this upgrade")
