// Agents and typed actors for the project's canisters (bindings generated from candid/*.did
// by scripts/gen_idl.py).
import { Actor, HttpAgent, type ActorSubclass, type Identity } from '@icp-sdk/core/agent';
import type { IDL } from '@icp-sdk/core/candid';
import { idlFactory as merchantIdl } from '../generated/user_payment_canister.idl.js';
import { idlFactory as factoryIdl } from '../generated/payment_backend.idl.js';
import { idlFactory as ledgerIdl } from '../generated/icrc_ledger.idl.js';
import type { _SERVICE as MerchantService } from '../generated/user_payment_canister.idl';
import type { _SERVICE as FactoryService } from '../generated/payment_backend.idl';
import type { _SERVICE as LedgerService } from '../generated/icrc_ledger.idl';

export type Merchant = ActorSubclass<MerchantService>;
export type Factory = ActorSubclass<FactoryService>;
export type Ledger = ActorSubclass<LedgerService>;

const MAINNET_API = 'https://icp-api.io';

/** True for pages served by a local replica (localnet, dfx): the agent then fetches the
 * replica's root key instead of using the mainnet one. */
export function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname.endsWith('.localhost');
}

/** The IC API endpoint for code loaded from `origin`: the local replica itself (it serves
 * both pages and /api), else the mainnet API gateway. */
export function apiHostFor(origin: string): string {
  const url = new URL(origin);
  // localnet (and dfx) answer /api/v2/... on every host name of the port, <id>.localhost
  // included: same origin, no CORS preflights
  return isLocalHost(url.hostname) ? url.origin : MAINNET_API;
}

const agents = new Map<string, Promise<HttpAgent>>();

export function agentFor(host: string, identity?: Identity): Promise<HttpAgent> {
  const key = `${host}|${identity ? identity.getPrincipal().toText() : 'anonymous'}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = HttpAgent.create({
      host,
      identity,
      shouldFetchRootKey: isLocalHost(new URL(host).hostname),
    });
    agent.catch(() => agents.delete(key));
    agents.set(key, agent);
  }
  return agent;
}

async function actor<T>(idl: IDL.InterfaceFactory, canisterId: string, host: string,
                        identity?: Identity): Promise<ActorSubclass<T>> {
  return Actor.createActor<T>(idl, { agent: await agentFor(host, identity), canisterId });
}

export const merchantActor = (id: string, host: string, identity?: Identity) =>
  actor<MerchantService>(merchantIdl as IDL.InterfaceFactory, id, host, identity);
export const factoryActor = (id: string, host: string, identity?: Identity) =>
  actor<FactoryService>(factoryIdl as IDL.InterfaceFactory, id, host, identity);
export const ledgerActor = (id: string, host: string, identity?: Identity) =>
  actor<LedgerService>(ledgerIdl as IDL.InterfaceFactory, id, host, identity);

/** `Ok` of a `variant { Ok; Err : text }` result, or throws the canister's error text. */
export function unwrap<T>(result: { Ok: T } | { Err: string }): T {
  if ('Err' in result) throw new CanisterError(result.Err);
  return result.Ok;
}

/** A canister's `Err` text; `code` is the stable error code before the first colon. */
export class CanisterError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.code = message.split(':', 1)[0];
  }
}

export const opt = <T>(value: [] | [T]): T | undefined => (value.length ? value[0] : undefined);
