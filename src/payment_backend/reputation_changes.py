"""The log of global reputation changes (seq -> principal, score, reports), which merchants
receive by version (pushed by security_push.py, pulled with `get_reputation_changes`) and
turn into risk points on every payment (risk_engine.py: `global_reputation`)."""

from kybra import Principal, StableBTreeMap, nat32, nat64, query

from src.common.factory_api import ReputationChange, ReputationChangePage
from src.payment_backend.factory_counters import next_seq, top_seq
from src.payment_backend.index_pages import since

reputation_changes_map = StableBTreeMap[nat64, ReputationChange](memory_id=122, max_key_size=24, max_value_size=300)


def log_reputation(principal: Principal, score: float, reports: int) -> int:
    seq = next_seq("reputation_changes")
    reputation_changes_map.insert(seq, {"seq": seq, "principal_id": principal, "score": score, "reports": reports})
    return seq


def reputation_changes_since(since_seq: int, limit: int) -> dict:
    """Changes after since_seq, oldest first, at most limit (1-100)."""
    changes, next_seq_ = since(reputation_changes_map.get, top_seq("reputation_changes"), since_seq, limit)
    return {"changes": changes, "next_seq": next_seq_}


@query
def get_reputation_changes(since_seq: nat64, limit: nat32) -> ReputationChangePage:
    return reputation_changes_since(since_seq, limit)
