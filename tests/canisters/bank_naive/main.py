from kybra import (
    Async,
    CallResult,
    Principal,
    Service,
    StableBTreeMap,
    Variant,
    ic,
    init,
    nat,
    query,
    service_update,
    update,
    void,
)


class PayoutLedger(Service):
    @service_update
    def transfer(self, to: str, amount: nat) -> nat:
        ...


class WithdrawResult(Variant, total=False):
    Ok: nat
    Err: str


balances = StableBTreeMap[str, nat](memory_id=0, max_key_size=100, max_value_size=40)
config = StableBTreeMap[str, Principal](memory_id=1, max_key_size=20, max_value_size=40)


@init
def init_(ledger: Principal) -> void:
    config.insert("ledger", ledger)


@update
def deposit(amount: nat) -> nat:
    who = ic.caller().to_str()
    total = (balances.get(who) or 0) + amount
    balances.insert(who, total)
    return total


@query
def balance_of(who: Principal) -> nat:
    return balances.get(who.to_str()) or 0


@update
def withdraw(amount: nat) -> Async[WithdrawResult]:
    who = ic.caller().to_str()
    balance = balances.get(who) or 0
    if balance < amount:
        return {"Err": "insufficient funds"}
    ledger = config.get("ledger")
    result: CallResult[nat] = yield PayoutLedger(ledger).transfer(who, amount)
    if result.Err is not None:
        return {"Err": result.Err}
    # naive: the balance read before the yield is written back after it
    balances.insert(who, balance - amount)
    return {"Ok": balance - amount}
