// The customer's / merchant's identity in the browser. Locally this is a dev identity: an
// Ed25519 key kept in localStorage (or imported from its hex secret, e.g. a key dfx or the
// tests also hold). On mainnet the same slot takes an Internet Identity delegation.
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';

const STORE_KEY = 'ckpay.devIdentity';

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

/** The stored dev identity, if the user signed in before. */
export function storedIdentity(): Ed25519KeyIdentity | undefined {
  const hex = localStorage.getItem(STORE_KEY);
  if (!hex) return undefined;
  try {
    return Ed25519KeyIdentity.generate(hexToBytes(hex));
  } catch {
    localStorage.removeItem(STORE_KEY);
    return undefined;
  }
}

/** A new (or imported) dev identity, remembered for the next visit. */
export function signIn(secretHex?: string): Ed25519KeyIdentity {
  const seed = secretHex ? hexToBytes(secretHex) : crypto.getRandomValues(new Uint8Array(32));
  localStorage.setItem(STORE_KEY, bytesToHex(seed));
  return Ed25519KeyIdentity.generate(seed);
}

export function signOut(): void {
  localStorage.removeItem(STORE_KEY);
}
