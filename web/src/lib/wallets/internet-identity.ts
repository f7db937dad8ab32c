// Internet Identity through @icp-sdk/auth: the AuthClient opens the identity provider's
// window, receives a delegation chain for a fresh session key (kept in IndexedDB, 8 h) and
// gives a DelegationIdentity, which signs like any other identity in the checkout.
import { AuthClient } from '@icp-sdk/auth/client';
import type { Identity } from '@icp-sdk/core/agent';

const clients = new Map<string, AuthClient>();

function client(providerUrl: string): AuthClient {
  let c = clients.get(providerUrl);
  if (!c) {
    // a checkout must not reload the page when idle: the session stays until it expires
    c = new AuthClient({ identityProvider: providerUrl, idleOptions: { disableIdle: true } });
    clients.set(providerUrl, c);
  }
  return c;
}

/** The identity of an earlier Internet Identity sign-in still valid, if any. */
export async function restoredInternetIdentity(providerUrl: string): Promise<Identity | undefined> {
  const c = client(providerUrl);
  return c.isAuthenticated() ? c.getIdentity() : undefined;
}

/** Opens Internet Identity and resolves with the delegated identity once the user signed in. */
export function signInWithInternetIdentity(providerUrl: string): Promise<Identity> {
  return client(providerUrl).signIn();
}

export async function signOutOfInternetIdentity(providerUrl: string): Promise<void> {
  await client(providerUrl).signOut();
}
