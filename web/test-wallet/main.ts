// A local signer wallet for the browser tests, built with the wallet side of
// @dfinity/oisy-wallet-signer (`Signer`): it answers ICRC-29 status, asks its user for the
// ICRC-25 permissions, shares its account (ICRC-27), shows the ICRC-21 consent message the
// target canister (or the library, for ledgers without ICRC-21) gives, and on approval signs
// and sends the call (ICRC-49), returning the certificate and content map to the page. Its
// key is the Ed25519 seed in `?seed=` (a test identity funded on the local ledger); `?host=`
// is the replica. `?tamper=arg|certificate` makes it a dishonest wallet for the negative
// tests: every ICRC-49 answer it sends has another argument in its content map, or a broken
// certificate, and the page must refuse it. Not part of any deployed front end: tests/web/test_browser_wallets.py
// builds it (vite.test-wallet.config.ts) and serves it from 127.0.0.1.
import { Signer } from '@dfinity/oisy-wallet-signer/signer';
import {
  ICRC21_CALL_CONSENT_MESSAGE, ICRC25_REQUEST_PERMISSIONS, ICRC27_ACCOUNTS, ICRC49_CALL_CANISTER,
  type AccountsPromptPayload, type CallCanisterPromptPayload, type ConsentMessagePromptPayload,
  type PermissionsPromptPayload,
} from '@dfinity/oisy-wallet-signer';
import { Cbor } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { base64ToUint8Array, uint8ArrayToBase64 } from '@dfinity/utils';
import { parseSecret } from '../src/lib/identity';

const params = new URLSearchParams(location.search);
// the key in `?seed=` (64 hex), read like the checkout reads a dev identity's seed
const owner = Ed25519KeyIdentity.generate(parseSecret(params.get('seed') ?? '').secret);
const principal = owner.getPrincipal().toText();
document.querySelector('[data-wallet-owner]')!.textContent = principal;
const promptBox = document.getElementById('prompt')!;
const log = document.getElementById('log')!;

const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
const note = (text: string) => { log.insertAdjacentHTML('beforeend', `<div data-log>${esc(text)}</div>`); };

/** Shows one prompt with Approve / Reject buttons (the test clicks them). */
function ask(kind: string, html: string, approve: () => void, reject: () => void): void {
  promptBox.innerHTML = `<section data-prompt="${kind}">${html}
    <div><button class="approve" data-approve>Approve</button><button class="reject" data-reject>Reject</button></div></section>`;
  promptBox.querySelector('[data-approve]')!.addEventListener('click', () => { promptBox.innerHTML = ''; approve(); });
  promptBox.querySelector('[data-reject]')!.addEventListener('click', () => { promptBox.innerHTML = ''; reject(); });
}


/** An ICRC-49 answer altered as `?tamper=` says (other messages pass unchanged). */
function tampered(msg: { result?: { contentMap?: string; certificate?: string } }, how: string): unknown {
  const result = msg?.result;
  if (!result?.contentMap || !result.certificate) return msg;
  if (how === 'arg') {
    const content = Cbor.decode<Record<string, unknown>>(base64ToUint8Array(result.contentMap));
    content.arg = new Uint8Array([...(content.arg as Uint8Array), 0]);
    note('tampered: another argument in the content map');
    return { ...msg, result: { ...result, contentMap: uint8ArrayToBase64(new Uint8Array(Cbor.encode(content))) } };
  }
  const cert = base64ToUint8Array(result.certificate);
  cert[cert.length - 1] ^= 0xff; // the BLS signature's last byte
  note('tampered: a broken certificate');
  return { ...msg, result: { ...result, certificate: uint8ArrayToBase64(cert) } };
}

// The library answers through `window.opener.postMessage`: a dishonest wallet sits there.
const tamper = params.get('tamper');
if (tamper && window.opener) {
  const page = window.opener as Window;
  Object.defineProperty(window, 'opener', {
    configurable: true,
    value: { postMessage: (msg: never, origin: string) => page.postMessage(tampered(msg, tamper), origin) },
  });
}

const signer = Signer.init({ owner, host: params.get('host') ?? undefined });

signer.register({
  method: ICRC25_REQUEST_PERMISSIONS,
  prompt: ({ requestedScopes, confirm, origin }: PermissionsPromptPayload) => {
    const list = requestedScopes.map((s) => `<li data-scope>${esc(s.scope.method)}</li>`).join('');
    ask('permissions', `<h2>${esc(origin)} asks for permissions</h2><ul>${list}</ul>`,
      () => confirm(requestedScopes.map((s) => ({ ...s, state: 'granted' }))),
      () => confirm(requestedScopes.map((s) => ({ ...s, state: 'denied' }))));
  },
});

signer.register({
  method: ICRC27_ACCOUNTS,
  prompt: ({ approve, reject, origin }: AccountsPromptPayload) => {
    ask('accounts', `<h2>Share your account with ${esc(origin)}?</h2><code>${esc(principal)}</code>`,
      () => approve([{ owner: principal }]), reject);
  },
});

signer.register({
  method: ICRC21_CALL_CONSENT_MESSAGE,
  prompt: (payload: ConsentMessagePromptPayload) => {
    if (payload.status === 'loading') { note('fetching the consent message…'); return; }
    if (payload.status === 'error') { note(`consent message error: ${String(payload.details ?? '')}`); return; }
    const { consentInfo, approve, reject } = payload;
    const source = 'Ok' in consentInfo ? 'canister' : 'library';
    const info = 'Ok' in consentInfo ? consentInfo.Ok : consentInfo.Warn.consentInfo;
    const message = info.consent_message;
    const text = 'GenericDisplayMessage' in message ? message.GenericDisplayMessage
      : `${message.FieldsDisplayMessage.intent}\n${message.FieldsDisplayMessage.fields.map(([k, v]) => `${k}: ${JSON.stringify(v, (_, x) => typeof x === 'bigint' ? x.toString() : x)}`).join('\n')}`;
    ask('consent', `<h2>Confirm</h2><div class="muted">consent message from the ${source} (${esc(info.metadata.language)})</div>
      <div class="consent" data-consent data-consent-source="${source}">${esc(text)}</div>`, approve, reject);
  },
});

signer.register({
  method: ICRC49_CALL_CANISTER,
  prompt: (payload: CallCanisterPromptPayload) => {
    note(`call ${payload.status}`);
    document.body.dataset.callStatus = payload.status;
  },
});

note('ready');
