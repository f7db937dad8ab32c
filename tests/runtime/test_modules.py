"""Point 9: localnet canister modules are valid Wasm binaries carrying the source bundle
(optionally gzipped as dfx does); the module hash is the sha256 of the installed bytes."""

import gzip
import hashlib

import pytest
from helpers import ALICE, ROOT, entry

from localnet.kybra_source.bundle import SourceBundle
from localnet.runtime import module as wasm


def _sections_in_order(data: bytes):
    """An independent Wasm reader: (id, name) of every section."""
    assert data[:8] == b"\x00asm\x01\x00\x00\x00"
    pos, out = 8, []
    while pos < len(data):
        sid = data[pos]
        size, shift, pos = 0, 0, pos + 1
        while True:
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        name_len = data[pos]
        out.append((sid, data[pos + 1 : pos + 1 + name_len].decode()))
        pos += size
    return out


def test_module_is_wasm_with_bundle_and_candid_sections(network):
    module = network.build_module(entry("counter"), ROOT)
    assert _sections_in_order(module) == [(0, wasm.BUNDLE_SECTION), (0, wasm.CANDID_SECTION)]
    bundle_bytes, candid = wasm.unpack(module)
    bundle = SourceBundle.from_bytes(bundle_bytes)
    assert bundle.entry == "main" and "def increment" in bundle.modules["main"]
    assert "increment : (text) -> (nat64);" in candid
    assert module == network.build_module(entry("counter"), ROOT)  # deterministic


def test_gzipped_module_installs_and_hash_is_of_installed_bytes(network):
    plain = network.build_module(entry("counter"), ROOT)
    zipped = network.build_module(entry("counter"), ROOT, gzipped=True)
    assert gzip.decompress(zipped) == plain
    cid = network.create_canister(controllers=[ALICE])
    from localnet.candid import binary
    from localnet.candid import types as T

    network.install_code(cid, zipped, binary.encode([T.PRINCIPAL], [ALICE]), sender=ALICE)
    assert network.canister(cid)["module_hash"] == hashlib.sha256(zipped).digest()
    assert network.canister(cid)["candid"].startswith("service")
    assert network.call(ALICE, cid, "increment", "m") == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "bad magic"),
        (b"\x00asm\x02\x00\x00\x00", "unsupported Wasm version"),
        (b"\x00asm\x01\x00\x00\x00\x00\x05\x01", "truncated"),
        (b"\x00asm\x01\x00\x00\x00", "no localnet source bundle"),
        (b"\x1f\x8b\x08garbage", "does not decompress"),
    ],
)
def test_bad_modules_are_rejected_clearly(data, message):
    with pytest.raises(wasm.ModuleError) as e:
        wasm.unpack(data)
    assert message in str(e.value)
