"""localnet serves front ends: the HTTP gateway (canister id from the host, `?canisterId=`
or the Referer; `http_request` query, upgrade to `http_request_update`, body streaming)
and the asset canister with `localnet.http.assets_upload` (chunked batches, gzip, deletes)."""

import hashlib
import os

import httpx
import pytest
from kybra import Principal

from localnet.http.assets_upload import ASSET_CANISTER_ENTRY, UploadError, upload_directory


@pytest.fixture
def site(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>home</title><p>home page</p>")
    (tmp_path / "checkout.html").write_text("<p>checkout " + "x" * 5000 + "</p>")
    (tmp_path / "assets" / "app.js").write_text("console.log('app');\n" * 200)
    (tmp_path / "assets" / "big.bin").write_bytes(os.urandom(4_100_000))  # 3 chunks
    return tmp_path


def _uploader(server, cid, sender):
    def call(method, arg, query):
        with server.lock:
            if query:
                return server.network.query_call(sender, Principal.from_str(cid), method, arg)
            return server.network.update_call(sender, Principal.from_str(cid), method, arg)

    return call


@pytest.fixture
def assets(server, deploy, new_identity, site):
    owner = new_identity()
    sender = Principal.from_str(owner.sender().to_str())
    cid = deploy(server, ASSET_CANISTER_ENTRY, controllers=[owner])
    report = upload_directory(_uploader(server, cid, sender), str(site))
    assert sorted(report.uploaded) == ["/assets/app.js", "/assets/big.bin", "/checkout.html", "/index.html"]
    return cid, sender


def _host(server, cid):
    return f"http://{cid}.localhost:{server.port}"


def test_serves_assets_by_subdomain_and_query_param(server, assets, site):
    cid, _ = assets
    with httpx.Client(timeout=60) as http:
        r = http.get(f"{server.url}/", headers={"Host": f"{cid}.localhost:{server.port}"})
        assert r.status_code == 200 and "home page" in r.text
        assert r.headers["content-type"] == "text/html"
        r = http.get(f"{server.url}/?canisterId={cid}")
        assert r.status_code == 200 and "home page" in r.text
        # a page loaded with ?canisterId= loads its scripts through the Referer
        r = http.get(f"{server.url}/assets/app.js", headers={"Referer": f"{server.url}/?canisterId={cid}"})
        assert r.status_code == 200 and r.text.startswith("console.log")
        assert r.headers["content-type"] == "text/javascript"


def test_aliases_fallback_and_404(server, assets):
    cid, _ = assets
    with httpx.Client(timeout=60, base_url=server.url) as http:
        host = {"Host": f"{cid}.localhost"}
        assert "checkout" in http.get("/checkout", headers=host).text  # /checkout.html
        r = http.get("/some/route?session=cs_1", headers=host)  # SPA fallback
        assert r.status_code == 200 and "home page" in r.text
        r = http.get("/missing.js", headers=host)
        assert r.status_code == 404 and "Not found: /missing.js" in r.text
        r = http.post("/index.html", headers=host, content=b"x")
        assert r.status_code == 405


def test_gzip_encoding_is_served_to_browsers_that_accept_it(server, assets, site):
    cid, _ = assets
    with httpx.Client(timeout=60, base_url=server.url) as http:
        r = http.get("/assets/app.js", headers={"Host": f"{cid}.localhost", "Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        assert r.text == (site / "assets" / "app.js").read_text()  # httpx decompressed it
        raw = http.get("/assets/app.js", headers={"Host": f"{cid}.localhost", "Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers


def test_large_asset_is_streamed_in_chunks(server, assets, site):
    cid, _ = assets
    with httpx.Client(timeout=120, base_url=server.url) as http:
        r = http.get("/assets/big.bin", headers={"Host": f"{cid}.localhost"})
    expected = (site / "assets" / "big.bin").read_bytes()
    assert r.status_code == 200 and len(r.content) == len(expected)
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(expected).digest()


def test_list_is_paginated_like_dfx_and_bounded(server, deploy, actor, new_identity):
    """`list` takes dfx's `record { start; length }` (an old client's `record {}` too) and
    answers a bounded page: 15 assets of about 90 KB of details each do not come in one
    reply (about 1 MB a page, the IC's reply limit is 2 MiB); paging reaches them all."""
    from localnet.candid import binary
    from localnet.candid import types as T
    from localnet.http.assets_upload import AssetClient, list_assets

    owner = new_identity()
    cid = deploy(server, ASSET_CANISTER_ENTRY, controllers=[owner])
    shop = actor(server, cid, owner, "candid/asset_canister.did")
    for i in range(15):
        shop.store(
            {
                "key": "/f%02d" % i,
                "content_type": "text/plain;" + "x" * 90_000,
                "content_encoding": "identity",
                "content": b"%d" % i,
                "sha256": [],
            }
        )
    first = shop.list({"start": [], "length": []})[0]
    assert 0 < len(first) < 15 and [a["key"] for a in first] == ["/f%02d" % i for i in range(len(first))]
    assert shop.list({"start": [2], "length": [3]})[0][0]["key"] == "/f02"
    assert len(shop.list({"start": [2], "length": [3]})[0]) == 3
    assert shop.list({"start": [15], "length": []})[0] == []
    sender = Principal.from_str(owner.sender().to_str())
    with server.lock:  # dfx before pagination sends `record {}`
        reply = server.network.query_call(sender, Principal.from_str(cid), "list", binary.encode([T.Record(())], [{}]))
    assert len(reply) < 2 * 1024 * 1024
    everything = list_assets(AssetClient(_uploader(server, cid, sender)))
    assert [a["key"] for a in everything] == ["/f%02d" % i for i in range(15)]


def test_reupload_skips_unchanged_and_deletes_removed(server, assets, site):
    cid, sender = assets
    (site / "checkout.html").unlink()
    (site / "index.html").write_text("<p>new home</p>")
    report = upload_directory(_uploader(server, cid, sender), str(site))
    assert report.uploaded == ["/index.html"]
    assert report.deleted == ["/checkout.html"]
    assert sorted(report.unchanged) == ["/assets/app.js", "/assets/big.bin"]
    with httpx.Client(timeout=60, base_url=server.url) as http:
        host = {"Host": f"{cid}.localhost"}
        assert http.get("/", headers=host).text == "<p>new home</p>"
        assert http.get("/checkout.html", headers=host).status_code == 404


def test_only_authorized_principals_upload(server, assets, site, new_identity):
    from localnet.runtime.errors import CallRejected

    cid, _ = assets
    stranger = Principal.from_str(new_identity().sender().to_str())
    with pytest.raises(CallRejected, match="is not authorized"):
        upload_directory(_uploader(server, cid, stranger), str(site))


def test_upload_errors_are_clear(server, assets, tmp_path):
    cid, sender = assets
    with pytest.raises(UploadError, match="does not exist"):
        upload_directory(_uploader(server, cid, sender), str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UploadError, match="are empty"):
        upload_directory(_uploader(server, cid, sender), str(tmp_path / "empty"))


def test_upgrade_to_update_call(server, deploy):
    cid = deploy(server, "tests/web/canisters/http_upgrade/main.py")
    with httpx.Client(timeout=60, base_url=server.url) as http:
        host = {"Host": f"{cid}.localhost"}
        r = http.post("/form?x=1", headers=host, content=b"hello")
        assert r.status_code == 201
        assert r.text == "POST /form?x=1 visit 1 body=hello"
        r = http.get(f"/?canisterId={cid}&y=2")
        assert r.text == "GET /?y=2 visit 2 body="  # the gateway's own parameter is removed
        assert r.headers["x-visit"] == "2"


def test_gateway_errors(server, deploy):
    cid = deploy(server, "tests/web/canisters/http_upgrade/main.py")
    with httpx.Client(timeout=60, base_url=server.url) as http:
        r = http.get("/")
        assert r.status_code == 200 and cid in r.text  # the landing page lists canisters
        r = http.get("/page")
        assert r.status_code == 400 and "Could not find a canister id" in r.text
        r = http.get("/?canisterId=not-a-principal")
        assert r.status_code == 400 and "not a valid principal" in r.text
        r = http.get("/", headers={"Host": "rrkah-fqaaa-aaaaa-aaaaq-cai.localhost"})
        assert r.status_code == 404 and "not found" in r.text
        # the IC HTTP interface stays reachable from a canister's own origin
        r = http.get("/api/v2/status", headers={"Host": f"{cid}.localhost"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/cbor"


def test_canister_without_http_interface(server, deploy):
    cid = deploy(server, "src/exchange_rate/main.py")
    with httpx.Client(timeout=60, base_url=server.url) as http:
        r = http.get("/", headers={"Host": f"{cid}.localhost"})
    assert r.status_code == 404 and "has no http_request method" in r.text
