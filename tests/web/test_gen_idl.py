"""web/scripts/gen_idl.py: the IDL factories it emits from the committed .did files encode,
with @icp-sdk/core's IDL in Node, exactly the Candid messages localnet's codec decodes (and
the reverse), recursive types included; its TypeScript types name every method."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB = os.path.join(ROOT, "web")
sys.path.insert(0, os.path.join(WEB, "scripts"))

from gen_idl import generate  # noqa: E402

from localnet.candid.binary import decode, encode  # noqa: E402
from localnet.candid.did import parse_did  # noqa: E402

NODE_CHECK = """
import { IDL } from '@icp-sdk/core/candid';
const [dir, name, method, hexIn] = process.argv.slice(2);
const { idlFactory } = await import(`${dir}/${name}.idl.js`);
const service = idlFactory({ IDL });
const func = service._fields.find(([n]) => n === method)[1];
const value = IDL.decode(func.argTypes, new Uint8Array(Buffer.from(hexIn, 'hex')));
const again = Buffer.from(IDL.encode(func.argTypes, value)).toString('hex');
console.log(JSON.stringify({ again, rets: func.retTypes.map((t) => t.display()) }));
"""


def node_roundtrip(tmp_path, name, method, message: bytes) -> dict:
    if shutil.which("node") is None or not os.path.isdir(os.path.join(WEB, "node_modules", "@icp-sdk")):
        pytest.skip("node or web/node_modules (npm install in web/) is missing")
    with open(os.path.join(ROOT, "candid", f"{name}.did"), encoding="utf-8") as f:
        js, ts = generate(name, f.read())
    out = tmp_path / "gen"
    out.mkdir(exist_ok=True)
    (out / f"{name}.idl.js").write_text(js)
    run_dir = os.path.join(WEB, "node_modules", ".ckpay-tests")
    os.makedirs(run_dir, exist_ok=True)
    script = os.path.join(run_dir, "idl_check.mjs")
    with open(script, "w") as f:
        f.write(NODE_CHECK)
    proc = subprocess.run(
        ["node", script, str(out), name, method, message.hex()], cwd=WEB, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def method_args(name, method):
    with open(os.path.join(ROOT, "candid", f"{name}.did"), encoding="utf-8") as f:
        desc = parse_did(f.read())
    func = desc.env.resolve(dict(desc.service.methods)[method])
    return func, desc.env


def test_modal_config_roundtrips_through_the_generated_factory(tmp_path):
    func, env = method_args("user_payment_canister", "update_modal_config")
    value = [
        "modal_1",
        {
            "modal_id": "modal_1",
            "name": "Main",
            "description": "text ✓",
            "theme": {
                "primary_color": "#112233",
                "background_color": "#fff",
                "text_color": "#000",
                "font_family": "Inter",
                "border_radius": 8,
                "dark_mode": True,
            },
            "payment_options": {
                "accepted_tokens": ["ckBTC", "ICP"],
                "allow_token_selection": True,
                "show_fiat_equivalent": False,
                "collect_email": True,
            },
            "branding": {
                "company_name": "Shop",
                "logo_url": None,
                "accent_color": "#123",
                "button_text": "Pay",
                "support_url": "https://s.example",
            },
            "redirect_urls": {"success_url": "https://a", "cancel_url": "https://b"},
            "template_id": None,
            "created_at": 2**63,
            "updated_at": 1,
            "is_active": False,
        },
    ]
    message = encode(func.args, value, env)
    out = node_roundtrip(tmp_path, "user_payment_canister", "update_modal_config", message)
    assert decode(bytes.fromhex(out["again"]), func.args, env) == value
    assert out["rets"] == ["variant {Ok; Err:text}"]  # agent-js prints null fields bare


def test_recursive_icrc3_value_roundtrips(tmp_path):
    func, env = method_args("icrc_ledger", "icrc1_transfer")
    value = [
        {
            "to": {"owner": "aaaaa-aa", "subaccount": bytes(32)},
            "fee": None,
            "memo": b"\x01",
            "from_subaccount": None,
            "created_at_time": 5,
            "amount": 10**30,
        }
    ]
    message = encode(func.args, value, env)
    out = node_roundtrip(tmp_path, "icrc_ledger", "icrc1_transfer", message)
    # type tables may be ordered differently by the two encoders: compare the values
    # (kybra Principals have no __eq__: compare the printed values)
    assert repr(decode(bytes.fromhex(out["again"]), func.args, env)) == repr(decode(message, func.args, env))
    # ICRC3Value is recursive (Map/Array of itself): the factory uses IDL.Rec
    with open(os.path.join(ROOT, "candid", "icrc_ledger.did"), encoding="utf-8") as f:
        js, ts = generate("icrc_ledger", f.read())
    assert "const ICRC3Value = IDL.Rec();" in js and "const Account = IDL.Record(" in js
    assert "ICRC3Value.fill(IDL.Variant(" in js and "IDL.Vec(IDL.Tuple(IDL.Text, ICRC3Value))" in js
    assert "'icrc1_transfer': ActorMethod<[TransferArg], TransferResult>;" in ts
    assert "export type Account = { 'owner': Principal; 'subaccount': [] | [Uint8Array | number[]] };" in ts


def test_check_mode_reports_stale_bindings(tmp_path):
    script = os.path.join(WEB, "scripts", "gen_idl.py")
    proc = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert subprocess.run([sys.executable, script, "--check"], capture_output=True, timeout=120).returncode == 0
    stale = os.path.join(WEB, "src", "generated", "icrc_ledger.idl.js")
    with open(stale, "a") as f:
        f.write("// edited\n")
    proc = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "stale generated bindings" in proc.stderr
    subprocess.run([sys.executable, script], check=True, timeout=120)
