// localnet's Candid UI (served by localnet at /_/candid, bundled into
// localnet/candid_ui/candid_ui.js by `npm run candid-ui`): pick a canister, get a form per
// method from its interface (the IDL factory localnet derives from the canister's
// `__get_candid_interface_tmp_hack` / candid:service text, with web/scripts/gen_idl.py), call
// it with the JS agent as a chosen identity (anonymous, a pasted dfx PEM, or a new browser
// key), and see the decoded result and the cycles the call cost the canister.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL, renderInput } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';

type Canister = { id: string; name: string | null };
const ED25519_PKCS8 = '302e020100300506032b657004220420';

const $ = (id: string) => document.getElementById(id) as HTMLElement;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** An identity from the PEM text dfx writes: Ed25519 PKCS#8 or secp256k1 (SEC1). */
function identityFromPem(pem: string): any {
  if (pem.includes('EC PRIVATE KEY')) {
    return Secp256k1KeyIdentity.fromPem(pem);
  }
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  if (!hex(der).startsWith(ED25519_PKCS8) || der.length < 48) {
    throw new Error('not an Ed25519 PKCS#8 or secp256k1 EC PRIVATE KEY PEM');
  }
  return Ed25519KeyIdentity.fromSecretKey(der.slice(16, 48));
}

let identity: any = null; // null: anonymous

function setIdentity(next: any, label: string) {
  identity = next;
  $('principal').textContent = next ? next.getPrincipal().toText() : '2vxsx-fae (anonymous)';
  $('identity-kind').textContent = label;
}

async function cycles(id: string): Promise<bigint | null> {
  const reply = await fetch(`/_/candid/cycles?id=${encodeURIComponent(id)}`);
  if (!reply.ok) return null;
  return BigInt((await reply.json()).cycles);
}

function show(out: HTMLElement, text: string, ok: boolean) {
  out.textContent = text;
  out.className = ok ? 'result ok' : 'result err';
}

async function openCanister(canister: Canister) {
  $('canister-title').textContent = canister.name ? `${canister.name} (${canister.id})` : canister.id;
  const methods = $('methods');
  methods.textContent = 'loading the interface…';
  const reply = await fetch(`/_/candid/idl.js?id=${encodeURIComponent(canister.id)}`);
  if (!reply.ok) {
    methods.textContent = await reply.text();
    return;
  }
  const source = await reply.text();
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const { idlFactory } = await import(/* @vite-ignore */ url);
  const service = idlFactory({ IDL }) as IDL.ServiceClass;
  methods.textContent = '';
  for (const [name, func] of service._fields) {
    methods.appendChild(methodForm(canister.id, idlFactory, name, func as IDL.FuncClass));
  }
}

function methodForm(id: string, idlFactory: any, name: string, func: IDL.FuncClass): HTMLElement {
  const box = document.createElement('section');
  box.className = 'method';
  box.dataset.method = name;
  const query = func.annotations.includes('query') || func.annotations.includes('composite_query');
  const title = document.createElement('h3');
  title.textContent = `${name} : (${func.argTypes.map((t) => t.display()).join(', ')}) → (` +
    `${func.retTypes.map((t) => t.display()).join(', ')})${query ? ' query' : ''}`;
  box.appendChild(title);
  const inputs = func.argTypes.map((t) => renderInput(t));
  const args = document.createElement('div');
  args.className = 'args';
  inputs.forEach((input) => input.render(args));
  box.appendChild(args);
  const button = document.createElement('button');
  button.textContent = query ? 'Query' : 'Call';
  button.className = 'call';
  box.appendChild(button);
  const out = document.createElement('pre');
  out.className = 'result';
  box.appendChild(out);
  const cost = document.createElement('div');
  cost.className = 'cost';
  box.appendChild(cost);
  button.addEventListener('click', async () => {
    cost.textContent = '';
    cost.dataset.cycles = '';
    let values: unknown[];
    try {
      values = inputs.map((input) => input.parse());
    } catch (err) {
      values = [];
    }
    if (values.length !== inputs.length || inputs.some((input) => input.isRejected())) {
      show(out, 'invalid arguments: see the fields marked in red', false);
      return;
    }
    button.disabled = true;
    show(out, '…', true);
    cost.textContent = '';
    try {
      const agent = await HttpAgent.create({
        host: location.origin, shouldFetchRootKey: true,
        ...(identity ? { identity } : {}),
      });
      const actor = Actor.createActor(idlFactory, { agent, canisterId: id }) as any;
      const before = await cycles(id);
      const started = performance.now();
      const result = await actor[name](...values);
      const ms = Math.round(performance.now() - started);
      const after = await cycles(id);
      const rets = func.retTypes.length === 1 ? [result] : (result as unknown[]);
      show(out, `(${func.retTypes.map((t, i) => t.valueToString(rets[i])).join(', ')})`, true);
      const used = before !== null && after !== null ? before - after : null;
      cost.textContent = `${used === null ? '?' : used.toString()} cycles, ${ms} ms`;
      cost.dataset.cycles = used === null ? '' : used.toString();
    } catch (err) {
      show(out, String((err as Error).message || err), false);
    } finally {
      button.disabled = false;
    }
  });
  return box;
}

async function main() {
  setIdentity(null, 'anonymous');
  $('use-anonymous').addEventListener('click', () => setIdentity(null, 'anonymous'));
  $('use-new').addEventListener('click', () => setIdentity(Ed25519KeyIdentity.generate(), 'new browser key'));
  $('use-pem').addEventListener('click', () => {
    try {
      setIdentity(identityFromPem(($('pem') as HTMLTextAreaElement).value), 'PEM');
      $('pem-error').textContent = '';
    } catch (err) {
      $('pem-error').textContent = String((err as Error).message || err);
    }
  });
  const canisters: Canister[] = await (await fetch('/_/candid/canisters.json')).json();
  const picker = $('canister') as HTMLSelectElement;
  for (const c of canisters) {
    const option = document.createElement('option');
    option.value = c.id;
    option.textContent = c.name ? `${c.name} — ${c.id}` : c.id;
    picker.appendChild(option);
  }
  const wanted = new URLSearchParams(location.search).get('id');
  const pick = async (id: string) => {
    picker.value = id;
    const found = canisters.find((c) => c.id === id) || { id, name: null };
    history.replaceState(null, '', `?id=${encodeURIComponent(id)}`);
    await openCanister(found);
  };
  picker.addEventListener('change', () => void pick(picker.value));
  if (wanted) await pick(wanted);
  document.body.dataset.ready = 'true';
}

void main();
