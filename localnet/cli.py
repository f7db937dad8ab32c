"""`localnet`: run a local IC and work with Kybra canisters, like dfx where it fits.

  localnet start [--host H] [--port N|0] [--port-file PATH] [--state-dir DIR [--autosave S]]
  localnet build ENTRY.py -o OUT.wasm        localnet did ENTRY.py
  localnet lint PATH...                       localnet logs CANISTER
  localnet layout PATH...                     (records stable-map layouts: candid/layouts/)
  localnet wasm-limits WASM...                (the IC's install limits, docs/deploy.md)
  localnet deploy [CANISTER] [--network URL] [--argument '(...)'] [--mode install|reinstall|upgrade]
  localnet call CANISTER METHOD ['(...)'] [--query] [--identity NAME]
  localnet identity new|use|list

Every failure prints one `Error: ...` line on stderr and exits non-zero.
"""
from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading

DEFAULT_PORT = 4943
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
MANAGEMENT = b""
ANY_CANISTER = bytes(8) + b"\x01\x01"  # an effective canister id for provisional creation

CREATE_ARG = ("record { amount : opt nat; settings : opt record { controllers : opt vec "
              "principal } }")
INSTALL_ARG = ("record { mode : variant { install; reinstall; upgrade : opt record { "
               "skip_pre_upgrade : opt bool } }; canister_id : principal; wasm_module : blob; "
               "arg : blob }")
LOGS_ARG = "record { canister_id : principal }"
LOGS_RET = ("record { canister_log_records : vec record { idx : nat64; timestamp_nanos : nat64; "
            "content : blob } }")


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"Error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


def _console():
    from rich.console import Console
    return Console(stderr=True)


# ---- start -------------------------------------------------------------------------------
def cmd_start(a) -> int:
    from localnet.http.ic_api import IcApi
    from localnet.http.keys import ReplicaKeys
    from localnet.http.gateway import make_dispatch
    from localnet.http.server import Server, write_port_file
    from localnet.runtime.network import Network

    network_dir = keys_path = None
    if a.state_dir:
        os.makedirs(a.state_dir, exist_ok=True)
        network_dir = os.path.join(a.state_dir, "network")
        keys_path = os.path.join(a.state_dir, "replica_key")
    keys = ReplicaKeys.load_or_create(keys_path) if keys_path else ReplicaKeys()
    if network_dir and os.path.isdir(network_dir) and os.listdir(network_dir):
        network = Network.load(network_dir)
    else:
        network = Network()
    api = IcApi(network, keys=keys, auto_progress=False)
    try:
        server = Server((a.host, a.port), make_dispatch(api), verbose=a.verbose)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {a.port} on {a.host} is already in use") from None
        raise CliError(f"cannot listen on {a.host}:{a.port}: {exc.strerror}") from None
    api.start_driver()
    if a.port_file:
        write_port_file(a.port_file, server.port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"localnet listening on http://{a.host}:{server.port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if network_dir and a.autosave > 0:
        threading.Thread(target=_autosave, args=(api, network, network_dir, a.autosave, stop),
                         daemon=True).start()
    stop.wait()
    server.shutdown()
    api.stop()
    if network_dir:
        with api.lock:
            network.save(network_dir)
        print(f"localnet state saved to {a.state_dir}", flush=True)
    return 0


def _autosave(api, network, network_dir: str, seconds: float, stop: threading.Event) -> None:
    """Save the state every `seconds` after ingress messages arrived, so a killed process
    (no SIGTERM) loses at most that much. A save waits for an idle moment (no message in
    flight): a tick that finds the network busy tries again at the next one."""
    from localnet.runtime.errors import LocalnetError

    saved_at = len(network.ingress)  # ingress messages are kept (with their status)
    while not stop.wait(seconds):
        with api.lock:
            if len(network.ingress) == saved_at:
                continue
            try:
                network.save(network_dir)
            except LocalnetError:  # not idle: messages in flight
                continue
            saved_at = len(network.ingress)


# ---- build / did / lint ------------------------------------------------------------------
def _check_entry(path: str) -> None:
    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")


def cmd_build(a) -> int:
    from localnet.runtime.network import Network
    _check_entry(a.entry)
    with _console().status(f"building {a.entry}"):
        module = Network().build_module(a.entry)
    with open(a.output, "wb") as f:
        f.write(module)
    print(f"wrote {a.output} ({len(module)} bytes)")
    return 0


def cmd_did(a) -> int:
    from localnet.kybra_source.did import generate_did
    _check_entry(a.entry)
    sys.stdout.write(generate_did(a.entry))
    return 0


def cmd_wasm_limits(a) -> int:
    from localnet.runtime.module import ModuleError
    from localnet.runtime.wasm_limits import report
    fine = True
    for path in a.wasm:
        try:
            fine = report(path) and fine
        except (OSError, ModuleError, IndexError) as e:
            raise CliError(f"{path}: {e}") from None
    return 0 if fine else 1


def cmd_lint(a) -> int:
    from localnet.kybra_source.lint import main as lint_main
    return lint_main(a.paths)


def cmd_layout(a) -> int:
    from localnet.kybra_source.layouts import main as layout_main
    return layout_main(a.paths)


# ---- network clients ---------------------------------------------------------------------
def _agent(a):
    from localnet.http import identities
    from localnet.http.agent import Agent
    url = a.network or os.environ.get("LOCALNET_URL") or DEFAULT_URL
    return Agent(url, identities.load(getattr(a, "identity", None)))


def _resolve(name: str) -> bytes:
    """A canister given as a textual principal or as a name in the project's canister ids."""
    from localnet.http.errors import HttpError
    from localnet.http.principal import from_text
    from localnet.http.project import ProjectError, find_root, load_ids
    try:
        root = find_root()
        ids = load_ids(root)
    except ProjectError:
        ids = {}
    if name in ids:
        return from_text(ids[name])
    try:
        return from_text(name)
    except HttpError:
        raise CliError(f"unknown canister {name!r}: not a principal and not in "
                       ".dfx/local/canister_ids.json") from None


def _interface(agent, cid: bytes):
    """The canister's Candid service: certified metadata, else the tmp-hack query."""
    from localnet.candid.binary import decode
    from localnet.candid.did import parse_did
    from localnet.candid.types import TEXT
    from localnet.runtime.errors import CallRejected
    raw = agent.metadata(cid, "candid:service")
    if raw is None:
        try:
            raw = decode(agent.query(cid, "__get_candid_interface_tmp_hack",
                                     b"DIDL\x00\x00"), [TEXT])[0].encode()
        except CallRejected:
            raise CliError("the canister publishes no Candid interface") from None
    return parse_did(raw.decode())


def _method(desc, name: str):
    from localnet.candid.types import Var
    for method, func in desc.service.methods:
        if method == name:
            return desc.env.resolve(func) if isinstance(func, Var) else func
    raise CliError(f"the canister has no method {name!r}")


def _management(agent, method: str, arg_type: str, value, effective: bytes,
                ret_type: str | None = None, query=False):
    from localnet.candid.binary import decode, encode
    from localnet.candid.did import parse_type
    arg = encode([parse_type(arg_type)], [value])
    send = agent.query if query else agent.call
    reply = send(MANAGEMENT, method, arg, effective=effective)
    return decode(reply, [parse_type(ret_type)])[0] if ret_type else reply


def cmd_call(a) -> int:
    from localnet.candid.binary import decode, encode
    from localnet.candid.text import format_args, parse_args
    cid = _resolve(a.canister)
    agent = _agent(a)
    desc = _interface(agent, cid)
    func = _method(desc, a.method)
    values = parse_args(a.args, func.args, desc.env)
    arg = encode(func.args, values, desc.env)
    if a.query or "query" in func.modes or "composite_query" in func.modes:
        reply = agent.query(cid, a.method, arg)
    else:
        reply = agent.call(cid, a.method, arg)
    print(format_args(decode(reply, func.rets, desc.env), func.rets, desc.env))
    return 0


def _rfc3339(ns: int) -> str:
    """Nanosecond timestamp as dfx prints log times: 2024-05-23T08:32:26.203980235Z."""
    import datetime
    secs, frac = divmod(ns, 10**9)
    stamp = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def cmd_logs(a) -> int:
    from kybra import Principal
    cid = _resolve(a.canister)
    agent = _agent(a)
    result = _management(agent, "fetch_canister_logs", LOGS_ARG,
                         {"canister_id": Principal(cid)}, cid, LOGS_RET, query=True)
    for rec in result["canister_log_records"]:
        print(f"[{rec['idx']}. {_rfc3339(rec['timestamp_nanos'])}]: "
              f"{bytes(rec['content']).decode('utf-8', 'replace')}")
    return 0


def cmd_deploy(a) -> int:
    from kybra import Principal
    from localnet.candid.binary import encode
    from localnet.candid.did import parse_did
    from localnet.candid.errors import CandidError
    from localnet.candid.text import parse_args
    from localnet.http import hashtree
    from localnet.http.principal import from_text, to_text
    from localnet.http.project import canisters, find_root, load_ids, save_id
    from localnet.kybra_source.did import generate_did
    from localnet.runtime.network import Network

    root = find_root()
    specs = canisters(root)
    if not specs:
        raise CliError("dfx.json declares no Kybra or assets canisters")
    if a.canister:
        if a.canister not in specs:
            raise CliError(f"dfx.json has no Kybra canister named {a.canister!r} (nor an "
                           "assets canister)")
        specs = {a.canister: specs[a.canister]}
    elif a.argument is not None and len(specs) > 1:
        raise CliError("--argument needs a single CANISTER to deploy")
    agent = _agent(a)
    me = agent.identity.sender().bytes
    console = _console()
    builder = Network()
    for name, spec in specs.items():
        _check_entry(spec.entry)
        if spec.build:
            _run_build(name, spec, console)
        bundle_root = spec.bundle_root or root
        with console.status(f"[{name}] building {os.path.relpath(spec.entry, root)}"):
            module = builder.build_module(spec.entry, bundle_root)
            desc = parse_did(generate_did(spec.entry, bundle_root))
        init_types = desc.init_args or ()
        try:
            arg = encode(init_types, parse_args(a.argument or "()", init_types, desc.env),
                         desc.env)
        except CandidError as exc:
            raise CliError(f"{name}: invalid init argument {a.argument or '()'!r}: {exc}") \
                from None
        known = load_ids(root).get(name)
        cid = from_text(known) if known else None
        installed = False
        if cid is not None:
            cert = agent.read_state(to_text(cid), [[b"canister", cid, b"controllers"],
                                                   [b"canister", cid, b"module_hash"]])
            exists = hashtree.lookup_path([b"canister", cid, b"controllers"],
                                          cert["tree"]).status == "found"
            installed = hashtree.lookup_path([b"canister", cid, b"module_hash"],
                                             cert["tree"]).status == "found"
            if not exists:
                cid = None
        if cid is None:
            with console.status(f"[{name}] creating canister"):
                from localnet.candid.binary import decode
                from localnet.candid.did import parse_type
                reply = _management(agent, "provisional_create_canister_with_cycles", CREATE_ARG,
                                    {"amount": None,
                                     "settings": {"controllers": [Principal(me)]}},
                                    ANY_CANISTER)
                created = decode(reply, [parse_type("record { canister_id : principal }")])[0]
                cid = bytes(created["canister_id"].bytes)
            save_id(root, name, to_text(cid))
        mode = a.mode or ("upgrade" if installed else "install")
        with console.status(f"[{name}] {mode} {to_text(cid)}"):
            _management(agent, "install_code", INSTALL_ARG,
                        {"mode": {mode: None}, "canister_id": Principal(cid),
                         "wasm_module": module, "arg": arg}, cid)
        if spec.source is not None:
            _upload_assets(agent, name, spec, cid, console)
        print(f"Deployed {name}: {to_text(cid)} ({mode})")
    return 0


def _run_build(name, spec, console) -> None:
    """Run a canister's dfx.json `build` commands in the project root (as dfx does)."""
    import subprocess
    from localnet.http.project import load_ids
    env = dict(os.environ, DFX_NETWORK="local")
    for other, cid in load_ids(spec.root).items():  # dfx exports these to builds too
        env[f"CANISTER_ID_{other.upper().replace('-', '_')}"] = cid
    for command in spec.build:
        with console.status(f"[{name}] {command}"):
            proc = subprocess.run(command, shell=True, cwd=spec.root, capture_output=True,
                                  text=True, timeout=1800, env=env)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            raise CliError(f"{name}: build command {command!r} failed (exit "
                           f"{proc.returncode}):\n" + "\n".join(tail))


def _upload_assets(agent, name, spec, cid: bytes, console) -> None:
    """Sync the built files of a `"type": "assets"` canister into it."""
    from localnet.http.assets_upload import upload_directory

    def call(method, arg, query):
        return (agent.query if query else agent.call)(cid, method, arg)
    shown = ", ".join(os.path.relpath(s, spec.root) for s in spec.source)
    with console.status(f"[{name}] uploading {shown}"):
        report = upload_directory(call, spec.source)
    print(f"[{name}] {len(report.uploaded)} file(s) uploaded, {len(report.unchanged)} "
          f"unchanged, {len(report.deleted)} deleted")


# ---- identity ----------------------------------------------------------------------------
def cmd_identity(a) -> int:
    from localnet.http import identities
    if a.action == "new":
        ident = identities.create(a.name, a.type)
        print(f"Created identity {a.name}: {ident.sender().to_str()}")
    elif a.action == "use":
        identities.use(a.name)
        print(f"Using identity {a.name}")
    elif a.action == "list":
        current = identities.selected()
        for name in identities.names():
            print(f"{name} *" if name == current else name)
    else:  # whoami
        print(identities.load(a.identity).sender().to_str())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="localnet", description="A local Internet Computer for Kybra canisters")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("start", help="run the IC HTTP interface in the foreground")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    s.add_argument("--port-file", help="write the bound port here")
    s.add_argument("--state-dir", help="keep canisters, memory, cycles and time here")
    s.add_argument("--autosave", type=float, default=30, metavar="SECONDS",
                   help="with --state-dir: also save this often after calls (0: only on exit)")
    s.add_argument("--verbose", action="store_true", help="log every HTTP request")
    s.set_defaults(func=cmd_start)

    s = sub.add_parser("build", help="build a localnet module from a Kybra entry")
    s.add_argument("entry")
    s.add_argument("-o", "--output", required=True)
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("did", help="print the Candid interface of a Kybra entry")
    s.add_argument("entry")
    s.set_defaults(func=cmd_did)

    s = sub.add_parser("wasm-limits", help="check Wasm modules against the IC's install limits")
    s.add_argument("wasm", nargs="+")
    s.set_defaults(func=cmd_wasm_limits)

    s = sub.add_parser("lint", help="check canister source against Kybra's rules")
    s.add_argument("paths", nargs="*")
    s.set_defaults(func=cmd_lint)

    s = sub.add_parser("layout", help="record the stable-map layouts of canister entries "
                       "in candid/layouts/ (new memory ids only)")
    s.add_argument("paths", nargs="*")
    s.set_defaults(func=cmd_layout)

    def net(s):
        s.add_argument("--network", help=f"replica URL (default $LOCALNET_URL or {DEFAULT_URL})")
        s.add_argument("--identity", help="identity name (default: the selected one)")

    s = sub.add_parser("deploy", help="build, create and install the dfx.json canisters")
    s.add_argument("canister", nargs="?")
    s.add_argument("--argument", help="init/upgrade argument in Candid text, e.g. '(42)'")
    s.add_argument("--mode", choices=["install", "reinstall", "upgrade"])
    net(s)
    s.set_defaults(func=cmd_deploy)

    s = sub.add_parser("call", help="call a canister method")
    s.add_argument("canister")
    s.add_argument("method")
    s.add_argument("args", nargs="?", default="()")
    s.add_argument("--query", action="store_true", help="send as a query call")
    net(s)
    s.set_defaults(func=cmd_call)

    s = sub.add_parser("logs", help="print a canister's log")
    s.add_argument("canister")
    net(s)
    s.set_defaults(func=cmd_logs)

    s = sub.add_parser("identity", help="manage identities (PEM files)")
    isub = s.add_subparsers(dest="action", required=True, parser_class=_Parser)
    n = isub.add_parser("new")
    n.add_argument("name")
    n.add_argument("--type", default="ed25519", choices=["ed25519", "secp256k1"])
    isub.add_parser("use").add_argument("name")
    isub.add_parser("list")
    w = isub.add_parser("whoami")
    w.add_argument("--identity")
    s.set_defaults(func=cmd_identity)
    return p


def _message(exc: BaseException) -> str:
    from localnet.runtime.errors import CallRejected
    if isinstance(exc, CallRejected):
        code = f", {exc.error_code}" if exc.error_code else ""
        return f"the call was rejected (reject code {exc.code}{code}): {exc.message}"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("LOCALNET_DEBUG"):
            raise
        from localnet.candid.errors import CandidError
        from localnet.kybra_source.findings import KybraSourceError
        if isinstance(exc, KybraSourceError):
            for finding in exc.findings:
                print(finding, file=sys.stderr)
            print(f"Error: {len(exc.findings)} Kybra source problem(s)", file=sys.stderr)
            return 1
        prefix = "invalid Candid: " if isinstance(exc, CandidError) else ""
        print(f"Error: {prefix}{_message(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
