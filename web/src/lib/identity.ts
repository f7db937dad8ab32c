// The customer's / merchant's identity in the browser. Locally this is a dev identity: a key
// kept in localStorage, created here or imported from its secret: 64 hex characters (an
// Ed25519 seed, as the tests hold them) or a dfx `identity.pem` (`dfx identity export`:
// Ed25519 PKCS#8 or secp256k1 "EC PRIVATE KEY"). On mainnet the same slot takes an Internet
// Identity delegation.
import type { Identity } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { isLocalHost } from './ic';

const STORE_KEY = 'ckpay.devIdentity';

type KeyKind = 'ed25519' | 'secp256k1';

function hexToBytes(hex: string): Uint8Array {
  const clean = hex.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(clean)) {
    throw new Error('a dev identity secret is 64 hex characters (a 32-byte Ed25519 seed)');
  }
  return Uint8Array.from(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function indexOf(haystack: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const ED25519_OID = [0x06, 0x03, 0x2b, 0x65, 0x70]; // 1.3.101.112
const SECP256K1_OID = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a]; // 1.3.132.0.10

/** The 32-byte secret of a dfx PEM: Ed25519 PKCS#8 (`OCTET STRING { OCTET STRING seed }`)
 * or a secp256k1 ECPrivateKey (`INTEGER 1, OCTET STRING secret, [0] secp256k1`). */
export function secretFromPem(pem: string): { kind: KeyKind; secret: Uint8Array } {
  // only the key's own block: a file may also hold an "EC PARAMETERS" block before it
  // (`openssl ecparam -genkey`, older dfx), whose base64 cannot be joined to the key's
  const block = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/.exec(pem);
  const body = (block ? block[2] : pem.replace(/-----(BEGIN|END)[^-]+-----/g, '')).replace(/\s+/g, '');
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    throw new Error('the PEM file is not base64');
  }
  if (indexOf(der, SECP256K1_OID) >= 0) {
    const at = indexOf(der, [0x02, 0x01, 0x01, 0x04, 0x20]);
    if (at < 0) throw new Error('unreadable secp256k1 key in the PEM file');
    return { kind: 'secp256k1', secret: der.slice(at + 5, at + 37) };
  }
  if (indexOf(der, ED25519_OID) >= 0) {
    const at = indexOf(der, [0x04, 0x22, 0x04, 0x20]);
    if (at < 0) throw new Error('unreadable Ed25519 key in the PEM file');
    return { kind: 'ed25519', secret: der.slice(at + 4, at + 36) };
  }
  throw new Error('the PEM file holds neither an Ed25519 nor a secp256k1 key');
}

function make(kind: KeyKind, secret: Uint8Array): Identity {
  return kind === 'secp256k1' ? Secp256k1KeyIdentity.fromSecretKey(secret) : Ed25519KeyIdentity.generate(secret);
}

/** An identity from what the user pasted: a PEM file's text or a 64-hex Ed25519 seed. */
export function parseSecret(text: string): { kind: KeyKind; secret: Uint8Array } {
  return text.includes('-----BEGIN') ? secretFromPem(text) : { kind: 'ed25519', secret: hexToBytes(text) };
}

/** The stored dev identity, if the user signed in before (`key` names the slot: the
 * dashboard keeps the merchant's apart from a customer's). */
export function storedIdentity(key: string = STORE_KEY): Identity | undefined {
  const stored = localStorage.getItem(key);
  if (!stored) return undefined;
  try {
    const [kind, hex] = stored.includes(':') ? stored.split(':') : ['ed25519', stored];
    return make(kind as KeyKind, hexToBytes(hex));
  } catch {
    localStorage.removeItem(key);
    return undefined;
  }
}

/** A new (or imported: hex seed or PEM text) dev identity, remembered for the next visit. */
export function signIn(secretText?: string, key: string = STORE_KEY): Identity {
  const parsed = secretText ? parseSecret(secretText) : { kind: 'ed25519' as KeyKind, secret: crypto.getRandomValues(new Uint8Array(32)) };
  const identity = make(parsed.kind, parsed.secret);
  // plain hex for Ed25519 (what earlier versions stored), "kind:hex" otherwise
  localStorage.setItem(key, parsed.kind === 'ed25519' ? bytesToHex(parsed.secret) : `secp256k1:${bytesToHex(parsed.secret)}`);
  return identity;
}

export function signOut(key: string = STORE_KEY): void {
  localStorage.removeItem(key);
}

/** The secret a sign-in form holds: the chosen `pem` file's text, else the pasted `secret`
 * (the dashboard's and the builder's import forms). */
export async function secretFromForm(form: HTMLFormElement): Promise<string> {
  const file = (form.elements.namedItem('pem') as HTMLInputElement | null)?.files?.[0];
  const text = file ? await file.text() : (form.elements.namedItem('secret') as HTMLTextAreaElement | null)?.value ?? '';
  if (!text.trim()) throw new Error('paste a dfx identity.pem (or a 64-hex Ed25519 seed), or choose the file');
  return text.trim();
}

const DEV_FRAGMENT = '#dev-identity=';

/** Local development only: a link ending in `#dev-identity=<base64url of an identity.pem>`
 * (what `scripts/run.sh` prints for the demo merchant) signs in with that key. A fragment
 * stays in the browser (it is in no request and no Referer); it is read once, stored like
 * an imported PEM and removed from the address bar and history. Ignored unless the page is
 * served from a local host, so no production page ever takes a key from its URL. */
export function signInFromFragment(key: string = STORE_KEY): Identity | undefined {
  if (!location.hash.startsWith(DEV_FRAGMENT)) return undefined;
  const encoded = location.hash.slice(DEV_FRAGMENT.length);
  history.replaceState(null, '', location.pathname + location.search);
  if (!isLocalHost(location.hostname)) return undefined;
  const pem = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
  return signIn(pem, key);
}
