from kybra import StableBTreeMap, ic, nat, query, update


paid = StableBTreeMap[str, nat](memory_id=0, max_key_size=100, max_value_size=40)


@update
def transfer(to: str, amount: nat) -> nat:
    total = (paid.get(to) or 0) + amount
    paid.insert(to, total)
    paid.insert("__all__", (paid.get("__all__") or 0) + amount)
    return total


@query
def paid_to(who: str) -> nat:
    return paid.get(who) or 0


@query
def total_paid() -> nat:
    return paid.get("__all__") or 0
