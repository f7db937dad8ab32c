// ICRC-22 payment requests (dfinity/ICRC, ICRCs/ICRC-22): the URI a wallet scans to prefill
// the transfer, `icp:<network>:icrc22:<ledger>/icrc1_transfer?to=<account>&amount=<n>[&memo=<hex>]`.
// The network is the first 32 hex digits of the SHA-256 of the network's DER root key
// (737ba355e855bd4b61279056603e0550 for mainnet); accounts use the size-reduced textual
// encoding (the ICRC-1 text without dashes, except the one before the checksum).
import { agentFor } from './ic';

export const MAINNET_NETWORK = '737ba355e855bd4b61279056603e0550';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The ICRC-22 network id of the replica the agent for `host` talks to. */
export async function networkId(host: string): Promise<string> {
  const agent = await agentFor(host);
  const key = agent.rootKey;
  if (!key) return MAINNET_NETWORK;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', key as BufferSource));
  return hex(digest).slice(0, 32);
}

/** ICRC-1 textual account -> ICRC-22's size-reduced form. */
export function sizeReducedAccount(text: string): string {
  const dot = text.indexOf('.');
  if (dot < 0) return text.replace(/-/g, '');
  const head = text.slice(0, dot);
  const cut = head.lastIndexOf('-'); // the dash before the CRC32 checksum stays
  return `${head.slice(0, cut).replace(/-/g, '')}${head.slice(cut)}${text.slice(dot)}`;
}

export interface PaymentRequest {
  network: string;
  ledger: string;
  to: string; // ICRC-1 textual account
  amount: bigint;
  memo?: Uint8Array;
}

export function paymentRequestUri(r: PaymentRequest): string {
  const params = [`to=${sizeReducedAccount(r.to)}`, `amount=${r.amount.toString()}`];
  if (r.memo && r.memo.length) params.push(`memo=${hex(r.memo)}`);
  return `icp:${r.network}:icrc22:${r.ledger}/icrc1_transfer?${params.join('&')}`;
}
