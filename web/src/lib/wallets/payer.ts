// Who pays a checkout by ICRC-2: anything that can call the ledger's `icrc2_approve` and the
// merchant's `pay_checkout_session*` as the customer. An identity (a local dev identity or
// an Internet Identity delegation) signs the calls in the page; a signer wallet (OISY, any
// ICRC-25/27/29/49 signer) signs them in its own window after showing the consent message.
import type { Identity } from '@icp-sdk/core/agent';
import type { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { idlFactory as merchantIdl } from '../../generated/user_payment_canister.idl.js';
import { idlFactory as ledgerIdl } from '../../generated/icrc_ledger.idl.js';
import type { _SERVICE as MerchantService } from '../../generated/user_payment_canister.idl';
import type { _SERVICE as LedgerService } from '../../generated/icrc_ledger.idl';
import { ledgerActor, merchantActor, type Ledger, type Merchant } from '../ic';
import { signerActor, type SignerWallet } from './signer';

export interface Payer {
  principal: Principal;
  /** What the pay button says the customer pays from ("Internet Identity", "OISY", …). */
  label: string;
  ledger(id: string, host: string): Promise<Ledger>;
  merchant(id: string, host: string): Promise<Merchant>;
  /** Closes what the payer keeps open (a signer's window). */
  disconnect?(): Promise<void>;
}

export function identityPayer(identity: Identity, label = 'your identity'): Payer {
  return {
    principal: identity.getPrincipal(), label,
    ledger: (id, host) => ledgerActor(id, host, identity),
    merchant: (id, host) => merchantActor(id, host, identity),
  };
}

export function signerPayer(wallet: SignerWallet, label: string): Payer {
  return {
    principal: wallet.owner, label,
    ledger: (id, host) => signerActor<LedgerService>(ledgerIdl as IDL.InterfaceFactory, id, host, wallet),
    merchant: (id, host) => signerActor<MerchantService>(merchantIdl as IDL.InterfaceFactory, id, host, wallet),
    disconnect: () => wallet.disconnect(),
  };
}
