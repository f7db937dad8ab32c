// A local identity provider for the browser tests that speaks what @icp-sdk/auth's
// AuthClient speaks with Internet Identity: the ICRC-29 heartbeat (HeartbeatServer of
// @icp-sdk/signer, the library AuthClient itself uses) and an `icrc34_delegation` request
// for the client's session key, answered, once the user approves, with a real delegation
// chain signed by this provider's key (`?seed=`, Ed25519). The replica verifies that chain on
// every call the page makes. Unlike Internet Identity, the principal is the key's own, not
// one derived per origin by II's canister signature. Never deployed (web/test-wallet).
import { HeartbeatServer } from '@icp-sdk/signer/web';
import type { DerEncodedPublicKey, PublicKey } from '@icp-sdk/core/agent';
import { DelegationChain, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { base64ToUint8Array, uint8ArrayToBase64 } from '@dfinity/utils';
import { parseSecret } from '../src/lib/identity';

const params = new URLSearchParams(location.search);
// the key in `?seed=` (64 hex), read like the checkout reads a dev identity's seed
const user = Ed25519KeyIdentity.generate(parseSecret(params.get('seed') ?? '').secret);
document.querySelector('[data-ii-principal]')!.textContent = user.getPrincipal().toText();
const promptBox = document.getElementById('prompt')!;
const log = document.getElementById('log')!;
const note = (text: string) => log.insertAdjacentHTML('beforeend', `<div data-log>${text.replace(/</g, '&lt;')}</div>`);

const MAX_TTL_NS = 8n * 3600n * 1_000_000_000n;

interface DelegationRequest { publicKey: string; targets?: string[]; maxTimeToLive?: string }

let client: { origin: string; source: WindowProxy } | undefined;

new HeartbeatServer({
  onEstablish: (origin, source) => { client = { origin, source }; note(`connected to ${origin}`); },
  onEstablishTimeout: () => note('no client'),
  onDisconnect: () => note('client gone'),
});

window.addEventListener('message', (event: MessageEvent) => {
  const data = event.data as { jsonrpc?: string; id?: string | number; method?: string; params?: DelegationRequest };
  if (data?.jsonrpc !== '2.0' || data.method === undefined || data.method === 'icrc29_status') return;
  if (!client || event.origin !== client.origin || event.source !== client.source) return;
  const reply = (body: Record<string, unknown>) => client!.source.postMessage({ jsonrpc: '2.0', id: data.id, ...body }, client!.origin);
  if (data.method !== 'icrc34_delegation' || !data.params?.publicKey) {
    return reply({ error: { code: 2000, message: `not supported: ${data.method}` } });
  }
  const request = data.params;
  const ttl = request.maxTimeToLive ? BigInt(request.maxTimeToLive) : MAX_TTL_NS;
  promptBox.innerHTML = `<section data-prompt="delegation"><h2>Sign in to ${client.origin}?</h2>
    <div class="muted">as <code>${user.getPrincipal().toText()}</code>, for ${Number((ttl < MAX_TTL_NS ? ttl : MAX_TTL_NS) / 60_000_000_000n)} minutes</div>
    <button class="approve" data-approve>Sign in</button><button class="reject" data-reject>Cancel</button></section>`;
  promptBox.querySelector('[data-reject]')!.addEventListener('click', () => {
    promptBox.innerHTML = '';
    reply({ error: { code: 3001, message: 'The user cancelled the sign-in.' } });
  });
  promptBox.querySelector('[data-approve]')!.addEventListener('click', async () => {
    promptBox.innerHTML = '';
    // the client's session key (ECDSA P-256 by default), as the DER it sent
    const der = base64ToUint8Array(request.publicKey) as DerEncodedPublicKey;
    const session: PublicKey = { toDer: () => der };
    const expiration = new Date(Date.now() + Number((ttl < MAX_TTL_NS ? ttl : MAX_TTL_NS) / 1_000_000n));
    const chain = await DelegationChain.create(user, session, expiration, {
      targets: request.targets?.map((t) => Principal.fromText(t)),
    });
    note('delegation sent');
    reply({
      result: {
        publicKey: uint8ArrayToBase64(new Uint8Array(chain.publicKey)),
        signerDelegation: chain.delegations.map((d) => ({
          delegation: {
            pubkey: uint8ArrayToBase64(new Uint8Array(d.delegation.pubkey)),
            expiration: d.delegation.expiration.toString(),
            ...(d.delegation.targets ? { targets: d.delegation.targets.map((t) => t.toText()) } : {}),
          },
          signature: uint8ArrayToBase64(new Uint8Array(d.signature)),
        })),
      },
    });
  });
});
