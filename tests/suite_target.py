"""Which IC the integration suite runs against, and how it deploys there.

One suite, several backends (as eth-tester runs one suite against every backend):
`--target localnet` (default) runs the canisters in-process; `--target replica` (alias
`dfx`), or `CKPAY_TEST_TARGET=replica|dfx`, talks HTTP to a replica that is already running
at `CKPAY_TEST_URL` (default http://127.0.0.1:4943): `dfx start`, or `localnet start`.

On a replica, `deploy` installs the Wasm dfx built for the canister (`.kybra/<name>/` or
`.dfx/local/canisters/<name>/`, or `$CKPAY_TEST_WASM_DIR`) into a fresh canister created over
HTTP; what only localnet can do (time travel, the scheduler, snapshots, metering, builds of
canisters dfx.json does not declare) skips the test with the reason."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_URL = "http://127.0.0.1:4943"
ALIASES = {"localnet": "localnet", "replica": "replica", "dfx": "replica"}
LOCALNET_ONLY = (
    "needs localnet itself (time travel, the scheduler, snapshots, metering, "
    "in-process installs or run.sh), not the replica target"
)
# The IC accepts ingress messages up to 2 MiB, envelope included: bigger modules go through
# the chunk store (1 MiB chunks) as dfx does.
INGRESS_LIMIT = 2 * 1024 * 1024
ENVELOPE_MARGIN = 64 * 1024
CHUNK = 1024 * 1024
ANY_CANISTER = "rwlgt-iiaaa-aaaaa-aaaaa-cai"  # effective id for provisional creation
POLL_TIMEOUT = 300

CREATE_ARG = "record { amount : opt nat; settings : opt record { controllers : opt vec principal } }"
CREATE_RET = "record { canister_id : principal }"
INSTALL_MODE = "variant { install; reinstall; upgrade : opt record { skip_pre_upgrade : opt bool } }"
INSTALL_ARG = f"record {{ mode : {INSTALL_MODE}; canister_id : principal; wasm_module : blob; arg : blob }}"
UPLOAD_CHUNK_ARG = "record { canister_id : principal; chunk : blob }"
UPLOAD_CHUNK_RET = "record { hash : blob }"
INSTALL_CHUNKED_ARG = (
    f"record {{ mode : {INSTALL_MODE}; target_canister : principal; "
    "store_canister : opt principal; chunk_hashes_list : vec record { hash : "
    "blob }; wasm_module_hash : blob; arg : blob }"
)
UPDATE_SETTINGS_ARG = "record { canister_id : principal; settings : record { controllers : opt vec principal } }"


class TargetError(Exception):
    """A misconfigured target (unknown name, no replica at the URL)."""


def resolve(option: str | None) -> str:
    """'localnet' or 'replica' from `--target`, else `$CKPAY_TEST_TARGET`, else localnet."""
    name = option or os.environ.get("CKPAY_TEST_TARGET") or "localnet"
    if name not in ALIASES:
        raise TargetError(
            f"unknown test target {name!r}: use one of {', '.join(sorted(ALIASES))} (--target or $CKPAY_TEST_TARGET)"
        )
    return ALIASES[name]


def replica_url() -> str:
    return os.environ.get("CKPAY_TEST_URL") or DEFAULT_URL


def open_replica(url: str):
    """The `server` of the replica target; a clear error when nothing answers at `url`."""
    from localnet.http.testing import RemoteReplica

    class Replica(RemoteReplica):
        """`RemoteReplica` with localnet's `.network`/`.lock` handles: what a replica can do
        too works, anything else skips the test that reaches for it."""

        network = ReplicaNetwork()

        @property
        def lock(self):
            return contextlib.nullcontext()

    try:
        return Replica(url, ROOT)
    except Exception as exc:  # httpx connection errors, HTTP errors, bad CBOR
        raise TargetError(
            f"no replica answers at {url}/api/v2/status ({exc}); start one "
            "(`dfx start` or `localnet start`) or set $CKPAY_TEST_URL"
        ) from None


class ReplicaNetwork:
    """`server.network` on the replica target. `build_module` gives the module dfx built for
    the canister (tests upload it to the factory); the rest of localnet's in-process API
    (time travel, the scheduler, snapshots, canister internals) skips the test."""

    def build_module(self, entry_path: str, project_root: str | None = None, gzipped: bool = False) -> bytes:
        with open(find_wasm(os.path.abspath(entry_path)), "rb") as f:
            module = f.read()
        return gzip.compress(module) if gzipped and module[:2] != b"\x1f\x8b" else module

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        pytest.skip(f"uses server.network.{name}: {LOCALNET_ONLY}")


# ---- which Wasm --------------------------------------------------------------------------
def canister_name(entry: str) -> str | None:
    """The dfx.json name of the Kybra canister whose `main` is `entry` (None if undeclared)."""
    from localnet.http.project import canisters

    want = os.path.realpath(entry)
    for name, spec in canisters(ROOT).items():
        if spec.source is None and os.path.realpath(spec.entry) == want:
            return name
    return None


def wasm_candidates(name: str) -> list[str]:
    """Where dfx and Kybra leave a canister's Wasm: $CKPAY_TEST_WASM_DIR first, .gz first."""
    dirs = []
    if os.environ.get("CKPAY_TEST_WASM_DIR"):
        base = os.environ["CKPAY_TEST_WASM_DIR"]
        dirs += [base, os.path.join(base, name)]
    dirs += [os.path.join(ROOT, ".kybra", name), os.path.join(ROOT, ".dfx", "local", "canisters", name)]
    return [os.path.join(d, name + ext) for d in dirs for ext in (".wasm.gz", ".wasm")]


def find_wasm(entry: str) -> str:
    """The built Wasm of `entry`; skips the test when dfx cannot or did not build it."""
    base = os.environ.get("CKPAY_TEST_WASM_DIR")
    if base and not os.path.isdir(base):
        pytest.fail(f"$CKPAY_TEST_WASM_DIR is not a directory: {base}", pytrace=False)
    name = canister_name(entry)
    if name is None:
        pytest.skip(
            f"{os.path.relpath(entry, ROOT)} is not a canister of dfx.json, so dfx "
            "cannot build it for the replica target"
        )
    for path in wasm_candidates(name):
        if os.path.isfile(path):
            return path
    pytest.skip(
        f"no built Wasm for canister {name!r} (looked for .kybra/{name}/{name}.wasm"
        f"[.gz], .dfx/local/canisters/{name}/{name}.wasm[.gz] and $CKPAY_TEST_WASM_DIR);"
        " run `dfx build` first"
    )


# ---- deploying over HTTP -----------------------------------------------------------------
def _principal_text(p) -> str:
    if isinstance(p, str):
        return p
    if hasattr(p, "sender"):  # an ic-py Identity
        return p.sender().to_str()
    return p.to_str()


class ReplicaDeployer:
    """Creates and installs canisters on a replica as one throwaway Ed25519 identity, then
    hands control to the requested controllers (as localnet's `deploy` does)."""

    def __init__(self, replica):
        from ic.identity import Identity

        from localnet.http.testing import icpy_agent

        self.replica = replica
        self.identity = Identity(type="ed25519")
        self.agent = icpy_agent(replica.url, self.identity, replica.root_key)
        self.me = self.identity.sender().to_str()

    def _call(self, method: str, arg_type: str, value: dict, effective: str, ret_type: str | None = None):
        """One management-canister update through ic-py; the decoded reply (or None)."""
        from ic.agent import sign_request

        from localnet.candid.binary import decode, encode
        from localnet.candid.did import parse_type

        req = {
            "request_type": "call",
            "sender": self.identity.sender().bytes,
            "canister_id": b"",
            "method_name": method,
            "arg": encode([parse_type(arg_type)], [value]),
            "ingress_expiry": self.agent.get_expiry_date(),
        }
        req_id, data = sign_request(req, self.identity)
        r = self.agent.client.http.post(
            f"{self.replica.url}/api/v2/canister/{effective}/call",
            content=data,
            headers={"Content-Type": "application/cbor"},
        )
        if r.status_code not in (200, 202):  # refused before execution: no status to poll
            raise RuntimeError(f"{method}: the replica answered HTTP {r.status_code}: {r.text[:500]}")
        status, reply = self.agent.poll(effective, req_id, delay=0.05, timeout=POLL_TIMEOUT)
        if status == "rejected":
            message = reply.decode(errors="replace")
            raise RuntimeError(f"{method} rejected by the replica: {message}")
        if status != "replied":
            raise RuntimeError(f"{method}: no reply within {POLL_TIMEOUT} s (status {status})")
        return decode(reply, [parse_type(ret_type)])[0] if ret_type else None

    def deploy(self, entry: str, arg_text: str = "()", controllers=None, cycles: int | None = None) -> str:
        from kybra import Principal

        from localnet.kybra_source.bundle import SourceBundle
        from localnet.runtime.typed import init_arg_from_text

        with open(find_wasm(entry), "rb") as f:
            module = f.read()
        arg = init_arg_from_text(SourceBundle.from_entry(entry, ROOT), arg_text)
        created = self._call(
            "provisional_create_canister_with_cycles",
            CREATE_ARG,
            {"amount": cycles, "settings": {"controllers": [Principal.from_str(self.me)]}},
            ANY_CANISTER,
            CREATE_RET,
        )
        cid = created["canister_id"]
        cid_text = cid.to_str()
        if len(module) + len(arg) <= INGRESS_LIMIT - ENVELOPE_MARGIN:
            self._call(
                "install_code",
                INSTALL_ARG,
                {"mode": {"install": None}, "canister_id": cid, "wasm_module": module, "arg": arg},
                cid_text,
            )
        else:
            hashes = []
            for at in range(0, len(module), CHUNK):
                got = self._call(
                    "upload_chunk",
                    UPLOAD_CHUNK_ARG,
                    {"canister_id": cid, "chunk": module[at : at + CHUNK]},
                    cid_text,
                    UPLOAD_CHUNK_RET,
                )
                hashes.append({"hash": bytes(got["hash"])})
            self._call(
                "install_chunked_code",
                INSTALL_CHUNKED_ARG,
                {
                    "mode": {"install": None},
                    "target_canister": cid,
                    "store_canister": None,
                    "chunk_hashes_list": hashes,
                    "wasm_module_hash": hashlib.sha256(module).digest(),
                    "arg": arg,
                },
                cid_text,
            )
        if controllers is not None:
            wanted = [Principal.from_str(_principal_text(c)) for c in controllers]
            self._call(
                "update_settings",
                UPDATE_SETTINGS_ARG,
                {"canister_id": cid, "settings": {"controllers": wanted}},
                cid_text,
            )
        return cid_text
