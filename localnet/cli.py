"""`localnet`: run a local IC and work with Kybra canisters, like dfx where it fits.

  localnet start [--host H] [--port N|0] [--port-file PATH] [--state-dir DIR [--autosave S]]
  localnet status | stop [--network URL]
  localnet build ENTRY.py -o OUT.wasm [--format json]   localnet did ENTRY.py [--output json]
  localnet lint PATH... [--output json]       localnet logs CANISTER
  localnet layout PATH...                     (records stable-map layouts: candid/layouts/)
  localnet wasm-limits WASM...                (the IC's install limits, docs/deploy.md)
  localnet deploy [CANISTER...] [--network URL] [--argument '(...)'] [--mode install|reinstall|upgrade]
  localnet call CANISTER METHOD ['(...)'] [--query] [--identity NAME|PEM] [--output idl|json|raw]
  localnet identity new|use|list|whoami|get-principal|export
  localnet completion bash|zsh               localnet --version

Identities are dfx's (`~/.config/dfx/identity/<name>/identity.pem`, or `$LOCALNET_HOME`'s),
shared with `ckpay` (ckpayment/identity.py). Flags go anywhere on the line, as with dfx.
Every failure prints one `Error: ...` line on stderr and exits non-zero (2 for usage).
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading

from ckpayment.cli_kit import Parser, completion_script, emit

DEFAULT_PORT = 4943
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
MANAGEMENT = b""
ANY_CANISTER = bytes(8) + b"\x01\x01"  # an effective canister id for provisional creation

CREATE_ARG = "record { amount : opt nat; settings : opt record { controllers : opt vec principal } }"
INSTALL_ARG = (
    "record { mode : variant { install; reinstall; upgrade : opt record { "
    "skip_pre_upgrade : opt bool } }; canister_id : principal; wasm_module : blob; "
    "arg : blob }"
)
LOGS_ARG = "record { canister_id : principal }"
LOGS_RET = "record { canister_log_records : vec record { idx : nat64; timestamp_nanos : nat64; content : blob } }"


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def _console():
    from rich.console import Console

    return Console(stderr=True)


# ---- start -------------------------------------------------------------------------------
def cmd_start(a) -> int:
    _restore_ids()
    from localnet.http.gateway import make_dispatch
    from localnet.http.ic_api import IcApi
    from localnet.http.keys import ReplicaKeys
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
    from localnet.http import running

    api.start_driver()
    url = f"http://{a.host}:{server.port}"
    running.record(server.port, url, a.state_dir, _project_root())
    if a.port_file:
        write_port_file(a.port_file, server.port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"localnet listening on {url} (Candid UI: {url}/_/candid/)", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if network_dir and a.autosave > 0:
        threading.Thread(target=_autosave, args=(api, network, network_dir, a.autosave, stop), daemon=True).start()
    try:
        stop.wait()
        server.shutdown()
        api.stop()
        if network_dir:
            with api.lock:
                network.save(network_dir)
            print(f"localnet state saved to {a.state_dir}", flush=True)
    finally:
        running.forget(server.port, os.getpid())
        _restore_own_ids()
    return 0


def _restore_own_ids() -> None:
    """At exit: put back the project ids this process's network held aside (run.sh)."""
    from localnet.http.id_backup import owner_pid, restore

    root = _project_root()
    if root and owner_pid(root) == os.getpid():
        note = restore(root)
        if note:
            print(f"localnet: {note}", flush=True)


def _project_root() -> str | None:
    from localnet.http.project import ProjectError, find_root

    try:
        return find_root()
    except ProjectError:
        return None


def _restore_ids() -> None:
    """Put back a project's own canister ids a killed demo network left aside."""
    from localnet.http.id_backup import restore_if_orphaned

    root = _project_root()
    note = restore_if_orphaned(root) if root else None
    if note:
        print(f"localnet: {note}", file=sys.stderr)


def _port_of(a) -> tuple[str, int]:
    from urllib.parse import urlsplit

    url = a.network or os.environ.get("LOCALNET_URL") or DEFAULT_URL
    try:
        port = urlsplit(url).port or 80
    except ValueError:
        raise CliError(f"invalid network URL {url!r}") from None
    return url.rstrip("/"), port


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/api/v2/status", timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False


def cmd_status(a) -> int:
    import time

    from localnet.http import running
    from localnet.http.id_backup import alive

    _restore_ids()
    url, port = _port_of(a)
    rec = running.load(port)
    if rec is not None and not alive(rec["pid"]):
        running.forget(port)
        rec = None
    up = _answers(url)
    info = {
        "running": up,
        "url": url,
        "pid": rec["pid"] if rec else None,
        "uptime_seconds": int(time.time() - rec["started_at"]) if rec else None,
        "state_dir": rec["state_dir"] if rec else None,
    }
    if a.output == "json":
        emit(info)
    elif up:
        extra = (
            f" (pid {info['pid']}, up {info['uptime_seconds']} s"
            + (f", state in {info['state_dir']})" if info["state_dir"] else ")")
            if rec
            else " (not started by `localnet start` on this machine's records)"
        )
        print(f"localnet is running at {url}{extra}")
    else:
        print(f"localnet is not running at {url}")
    return 0 if up else 1


def cmd_stop(a) -> int:
    import time

    from localnet.http import running
    from localnet.http.id_backup import alive

    url, port = _port_of(a)
    rec = running.load(port)
    if rec is None or not alive(rec["pid"]):
        running.forget(port)
        _restore_ids()
        if _answers(url):
            raise CliError(
                f"the replica at {url} was not started by `localnet start` here "
                "(no record of its process); stop it where it runs"
            )
        raise CliError(f"localnet is not running at {url}")
    os.kill(rec["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 60
    while alive(rec["pid"]):
        if time.monotonic() > deadline:
            raise CliError(f"localnet (pid {rec['pid']}) did not stop within 60 s")
        time.sleep(0.1)
    running.forget(port)
    _restore_ids()
    if a.output == "json":
        emit({"stopped": True, "url": url, "pid": rec["pid"], "state_dir": rec["state_dir"]})
    else:
        print(
            f"Stopped localnet at {url} (pid {rec['pid']})"
            + (f"; state saved in {rec['state_dir']}" if rec["state_dir"] else "")
        )
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
    if a.output.endswith(".gz"):  # as `dfx build` writes Kybra canisters: gzipped
        import gzip

        module = gzip.compress(module, mtime=0)
    with open(a.output, "wb") as f:
        f.write(module)
    if a.format == "json":
        import hashlib

        emit(
            {
                "entry": a.entry,
                "path": os.path.abspath(a.output),
                "size": len(module),
                "sha256": hashlib.sha256(module).hexdigest(),
                "gzipped": a.output.endswith(".gz"),
            }
        )
    else:
        print(f"wrote {a.output} ({len(module)} bytes)")
    return 0


def cmd_did(a) -> int:
    from localnet.kybra_source.did import generate_did

    _check_entry(a.entry)
    did = generate_did(a.entry)
    if a.output == "json":
        emit({"did": did})
    else:
        sys.stdout.write(did)
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

    return lint_main(a.paths, a.output)


def cmd_layout(a) -> int:
    from localnet.kybra_source.layouts import main as layout_main

    return layout_main(a.paths)


# ---- network clients ---------------------------------------------------------------------
def _agent(a):
    from ckpayment.identity import resolve_identity
    from localnet.http.agent import Agent

    url = a.network or os.environ.get("LOCALNET_URL") or DEFAULT_URL
    return Agent(url, resolve_identity(getattr(a, "identity", None)))


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
        raise CliError(f"unknown canister {name!r}: not a principal and not in .dfx/local/canister_ids.json") from None


def _interface(agent, cid: bytes):
    """The canister's Candid service: certified metadata, else the tmp-hack query."""
    from localnet.candid.binary import decode
    from localnet.candid.did import parse_did
    from localnet.candid.types import TEXT
    from localnet.runtime.errors import CallRejected

    raw = agent.metadata(cid, "candid:service")
    if raw is None:
        try:
            raw = decode(agent.query(cid, "__get_candid_interface_tmp_hack", b"DIDL\x00\x00"), [TEXT])[0].encode()
        except CallRejected:
            raise CliError("the canister publishes no Candid interface") from None
    return parse_did(raw.decode())


def _method(desc, name: str):
    from localnet.candid.types import Var

    for method, func in desc.service.methods:
        if method == name:
            return desc.env.resolve(func) if isinstance(func, Var) else func
    raise CliError(f"the canister has no method {name!r}")


def _management(agent, method: str, arg_type: str, value, effective: bytes, ret_type: str | None = None, query=False):
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
    if a.output == "raw":
        print(reply.hex())
    elif a.output == "json":
        values = decode(reply, func.rets, desc.env)
        emit(values[0] if len(values) == 1 else values)
    else:
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
    result = _management(
        agent, "fetch_canister_logs", LOGS_ARG, {"canister_id": Principal(cid)}, cid, LOGS_RET, query=True
    )
    records = [
        {
            "idx": rec["idx"],
            "timestamp": _rfc3339(rec["timestamp_nanos"]),
            "content": bytes(rec["content"]).decode("utf-8", "replace"),
        }
        for rec in result["canister_log_records"]
    ]
    if a.output == "json":
        emit(records)
    for rec in records if a.output != "json" else ():
        print(f"[{rec['idx']}. {rec['timestamp']}]: {rec['content']}")
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
        for name in a.canister:
            if name not in specs:
                raise CliError(f"dfx.json has no Kybra canister named {name!r} (nor an assets canister)")
        specs = {name: specs[name] for name in a.canister}
    if a.argument is not None and len(specs) > 1:
        raise CliError("--argument needs a single CANISTER to deploy")
    agent = _agent(a)
    me = agent.identity.sender().bytes
    console = _console()
    builder = Network()
    deployed = {}
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
            arg = encode(init_types, parse_args(a.argument or "()", init_types, desc.env), desc.env)
        except CandidError as exc:
            raise CliError(f"{name}: invalid init argument {a.argument or '()'!r}: {exc}") from None
        known = load_ids(root).get(name)
        cid = from_text(known) if known else None
        installed = False
        if cid is not None:
            cert = agent.read_state(
                to_text(cid), [[b"canister", cid, b"controllers"], [b"canister", cid, b"module_hash"]]
            )
            exists = hashtree.lookup_path([b"canister", cid, b"controllers"], cert["tree"]).status == "found"
            installed = hashtree.lookup_path([b"canister", cid, b"module_hash"], cert["tree"]).status == "found"
            if not exists:
                cid = None
        if cid is None:
            with console.status(f"[{name}] creating canister"):
                from localnet.candid.binary import decode
                from localnet.candid.did import parse_type

                reply = _management(
                    agent,
                    "provisional_create_canister_with_cycles",
                    CREATE_ARG,
                    {"amount": None, "settings": {"controllers": [Principal(me)]}},
                    ANY_CANISTER,
                )
                created = decode(reply, [parse_type("record { canister_id : principal }")])[0]
                cid = bytes(created["canister_id"].bytes)
            save_id(root, name, to_text(cid))
        mode = a.mode or ("upgrade" if installed else "install")
        with console.status(f"[{name}] {mode} {to_text(cid)}"):
            _management(
                agent,
                "install_code",
                INSTALL_ARG,
                {"mode": {mode: None}, "canister_id": Principal(cid), "wasm_module": module, "arg": arg},
                cid,
            )
        if spec.source is not None:
            _upload_assets(agent, name, spec, cid, console)
        deployed[name] = {"canister_id": to_text(cid), "mode": mode}
        if a.output != "json":
            print(f"Deployed {name}: {to_text(cid)} ({mode})")
    if a.output == "json":
        emit(deployed)
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
            proc = subprocess.run(
                command, shell=True, cwd=spec.root, capture_output=True, text=True, timeout=1800, env=env
            )
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            raise CliError(f"{name}: build command {command!r} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def _upload_assets(agent, name, spec, cid: bytes, console) -> None:
    """Sync the built files of a `"type": "assets"` canister into it."""
    from localnet.http.assets_upload import upload_directory

    def call(method, arg, query):
        return (agent.query if query else agent.call)(cid, method, arg)

    shown = ", ".join(os.path.relpath(s, spec.root) for s in spec.source)
    with console.status(f"[{name}] uploading {shown}"):
        report = upload_directory(call, spec.source)
    print(
        f"[{name}] {len(report.uploaded)} file(s) uploaded, {len(report.unchanged)} "
        f"unchanged, {len(report.deleted)} deleted"
    )


# ---- identity ----------------------------------------------------------------------------
def cmd_identity(a) -> int:
    from ckpayment import identity as store

    if a.action == "new":
        ident = store.create_identity(a.name, a.type)
        data = {"name": a.name, "principal": ident.sender().to_str(), "pem": store.identity_pem_path(a.name)}
        text = f"Created identity {a.name}: {data['principal']}"
    elif a.action == "use":
        store.use_identity(a.name)
        data, text = {"selected": a.name}, f"Using identity {a.name}"
    elif a.action == "list":
        current = store.selected_identity()
        data = [{"name": n, "selected": n == current} for n in store.identity_names()]
        text = "\n".join(f"{d['name']} *" if d["selected"] else d["name"] for d in data)
    elif a.action == "export":
        path = store.identity_pem_path(a.name)
        store.resolve_identity(a.name)  # a clear error for a missing or unusable one
        with open(path, encoding="utf-8") as f:
            pem = f.read()
        data, text = {"name": a.name, "pem": pem}, pem.rstrip("\n")
    else:  # whoami, get-principal: the principal, as scripts use it
        principal = store.resolve_identity(a.identity).sender().to_str()
        data = {"name": a.identity or store.selected_identity(), "principal": principal}
        text = principal
    if a.output == "json":
        emit(data)
    else:
        print(text)
    return 0


def cmd_completion(a) -> int:
    sys.stdout.write(completion_script(build_parser(), a.shell))
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535; 0 picks a free one)")
    return port


def _version() -> str:
    from ckpayment.cli import version_text

    return f"localnet {version_text()}"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="localnet", description="A local Internet Computer for Kybra canisters")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")

    def command(name, func, help_text, output=("text", "json")):
        s = sub.add_parser(name, help=help_text, description=help_text)
        s.set_defaults(func=func)
        if output:
            s.add_argument("--output", choices=output, default=output[0], help=f"output format (default {output[0]})")
        return s

    def net(s):
        s.add_argument("--network", help=f"replica URL (default $LOCALNET_URL or {DEFAULT_URL})")
        s.add_argument("--identity", help="identity name or PEM file (default: the selected one, as dfx)")

    s = command("start", cmd_start, "run the IC HTTP interface in the foreground", output=())
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=_port, default=DEFAULT_PORT, help="0 picks a free port")
    s.add_argument("--port-file", help="write the bound port here")
    s.add_argument("--state-dir", help="keep canisters, memory, cycles and time here")
    s.add_argument(
        "--autosave",
        type=float,
        default=30,
        metavar="SECONDS",
        help="with --state-dir: also save this often after calls (0: only on exit)",
    )
    s.add_argument("--verbose", action="store_true", help="log every HTTP request")

    s = command("status", cmd_status, "is a localnet running at --network (exit 0) or not (1)")
    s.add_argument("--network", help=f"replica URL (default $LOCALNET_URL or {DEFAULT_URL})")
    s = command("stop", cmd_stop, "stop the localnet `localnet start` runs at --network (its state is saved)")
    s.add_argument("--network", help=f"replica URL (default $LOCALNET_URL or {DEFAULT_URL})")

    s = command(
        "build", cmd_build, "build a localnet module from a Kybra entry (gzipped when FILE ends in .gz)", output=()
    )
    s.add_argument("entry")
    s.add_argument("-o", "--output", required=True, metavar="FILE", help="the module file to write")
    s.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="report format (default text; json: path, size, sha256; --output is the file)",
    )

    s = command("did", cmd_did, "print the Candid interface of a Kybra entry")
    s.add_argument("entry")

    s = command("wasm-limits", cmd_wasm_limits, "check Wasm modules against the IC's install limits", output=())
    s.add_argument("wasm", nargs="+")

    s = command(
        "lint", cmd_lint, "check canister source against Kybra's rules (json: a list of {path, line, rule, message})"
    )
    s.add_argument("paths", nargs="*")

    s = command(
        "layout",
        cmd_layout,
        "record the stable-map layouts of canister entries in candid/layouts/ (new memory ids only)",
        output=(),
    )
    s.add_argument("paths", nargs="*")

    s = command("deploy", cmd_deploy, "build, create and install the dfx.json canisters")
    s.add_argument("canister", nargs="*", help="default: every canister of dfx.json")
    s.add_argument("--argument", help="init/upgrade argument in Candid text, e.g. '(42)'")
    s.add_argument("--mode", choices=["install", "reinstall", "upgrade"])
    net(s)

    s = command("call", cmd_call, "call a canister method", output=("idl", "json", "raw"))
    s.add_argument("canister")
    s.add_argument("method")
    s.add_argument("args", nargs="?", default="()", help="Candid text, e.g. '(42, \"x\")'")
    s.add_argument("--query", action="store_true", help="send as a query call")
    net(s)

    s = command("logs", cmd_logs, "print a canister's log")
    s.add_argument("canister")
    net(s)

    s = sub.add_parser(
        "identity", help="manage identities (dfx's PEM files)", description="manage identities (dfx's PEM files)"
    )
    isub = s.add_subparsers(dest="action", required=True, parser_class=Parser, metavar="ACTION")

    def action(name, help_text):
        n = isub.add_parser(name, help=help_text, description=help_text)
        n.add_argument("--output", choices=("text", "json"), default="text")
        n.set_defaults(func=cmd_identity)
        return n

    n = action("new", "create an identity")
    n.add_argument("name")
    n.add_argument("--type", default="ed25519", choices=["ed25519", "secp256k1"])
    action("use", "select the identity for commands without --identity").add_argument("name")
    action("list", "stored identities, the selected one marked *")
    action("export", "print an identity's PEM").add_argument("name")
    for name in ("whoami", "get-principal"):
        action(name, "print the principal of the selected identity (or --identity)").add_argument(
            "--identity", help="identity name or PEM file"
        )

    s = command("completion", cmd_completion, "print a shell completion script", output=())
    s.add_argument("shell", choices=("bash", "zsh"))
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
