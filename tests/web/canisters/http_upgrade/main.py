"""A canister whose web page needs an update call: `http_request` answers `upgrade = opt true`
and `http_request_update` counts the visits (tests the gateway's upgrade path)."""

from kybra import Opt, Record, StableBTreeMap, Tuple, Vec, blob, nat16, nat64, query, text, update

Pair = Tuple[text, text]


class UpReq(Record):
    method: text
    url: text
    headers: Vec[Pair]
    body: blob
    certificate_version: Opt[nat16]


class UpUpdateReq(Record):
    method: text
    url: text
    headers: Vec[Pair]
    body: blob


class UpResp(Record):
    status_code: nat16
    headers: Vec[Pair]
    body: blob
    upgrade: Opt[bool]


visits = StableBTreeMap[text, nat64](memory_id=0, max_key_size=20, max_value_size=20)


@query
def http_request(req: UpReq) -> UpResp:
    return {"status_code": 200, "headers": [], "body": b"query", "upgrade": True}


@update
def http_request_update(req: UpUpdateReq) -> UpResp:
    count = (visits.get("n") or 0) + 1
    visits.insert("n", count)
    body = req["method"] + " " + req["url"] + " visit " + str(count) + " body=" + req["body"].decode()
    return {
        "status_code": 201,
        "headers": [("Content-Type", "text/plain"), ("X-Visit", str(count))],
        "body": body.encode(),
        "upgrade": None,
    }
