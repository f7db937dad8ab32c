// A wallet that speaks the IC signer standards (ICRC-25 permissions, ICRC-27 accounts,
// ICRC-29 status, ICRC-49 call canister) over postMessage, OISY first: the relying-party side
// of @dfinity/oisy-wallet-signer opens the wallet's window; every update call goes through
// `icrc49_call_canister` (the wallet shows the ICRC-21 consent message of the target canister
// and signs), and the reply is trusted only after this page checked it itself (ICRC-49
// "Response verification": the signed request is the one asked for, and the certificate,
// verified against the root key, says it was replied to).
import { RelyingParty } from '@dfinity/oisy-wallet-signer/relying-party';
import type { IcrcCallCanisterRequestParams, IcrcCallCanisterResult } from '@dfinity/oisy-wallet-signer';
import { Actor, Certificate, Cbor, lookupResultToBuffer, requestIdOf, type ActorSubclass } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { agentFor } from '../ic';
import { base64ToUint8Array, uint8ArrayToBase64 } from '@dfinity/utils';

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The signed call the wallet sent, as ICRC-49's `contentMap` holds it (CBOR). */
interface CallContent {
  request_type: string;
  canister_id: Uint8Array;
  method_name: string;
  arg: Uint8Array;
  sender: Uint8Array;
  ingress_expiry: bigint;
  nonce?: Uint8Array;
}

/** A connected signer window. `call` is ICRC-49 with the reply verified and returned as
 * Candid bytes. */
export class SignerWallet extends RelyingParty {
  /** The account the wallet shares (ICRC-27), set by `connectSigner` (chooser.ts). */
  owner!: Principal;

  /** Opens the signer's window at `url` and waits for its ICRC-29 ready answer. (No `host`
   * for the library: it would only fetch a root key for replies it decodes itself, and this
   * class checks replies with the page's own agent.) */
  static async open(url: string, onDisconnect?: () => void): Promise<SignerWallet> {
    return this.connectSigner<SignerWallet>({
      options: { url, onDisconnect },
      init: (params) => new SignerWallet({ ...params, onDisconnect }),
    });
  }

  /** ICRC-49 for `method` of `canisterId` with the Candid-encoded `arg`, from `owner`. */
  async callRaw(host: string, canisterId: Principal, method: string, arg: Uint8Array): Promise<Uint8Array> {
    const params: IcrcCallCanisterRequestParams = {
      canisterId: canisterId.toText(), sender: this.owner.toText(), method, arg: uint8ArrayToBase64(arg),
    };
    const result = await this.call({ params, options: { timeoutInMilliseconds: 10 * 60_000 } });
    return verifiedReply(host, params, result);
  }
}

/** Checks an ICRC-49 result against the request and the IC's certificate; the reply bytes.
 * (RelyingParty.call already compares the content map's canister, method, argument and
 * sender with the request; this repeats it, with the request type, since the reply is
 * looked up under exactly this content's request id.) */
export async function verifiedReply(host: string, params: IcrcCallCanisterRequestParams,
                                    result: IcrcCallCanisterResult): Promise<Uint8Array> {
  const content = Cbor.decode<CallContent>(base64ToUint8Array(result.contentMap));
  const canisterId = Principal.fromText(params.canisterId);
  if (content.request_type !== 'call'
      || Principal.fromUint8Array(content.canister_id).toText() !== params.canisterId
      || content.method_name !== params.method
      || !sameBytes(content.arg, base64ToUint8Array(params.arg))
      || Principal.fromUint8Array(content.sender).toText() !== params.sender) {
    throw new Error('The wallet signed another call than the one requested.');
  }
  const agent = await agentFor(host);
  const rootKey = agent.rootKey;
  if (!rootKey) throw new Error('No root key to verify the wallet\'s answer.');
  let certificate: Certificate;
  try {
    certificate = await Certificate.create({
      certificate: base64ToUint8Array(result.certificate), rootKey, principal: { canisterId },
    });
  } catch (e) {
    console.warn('ICRC-49 certificate rejected', e); // the details are a stack, not a sentence
    throw new Error('The wallet\'s answer carries no valid certificate of the Internet Computer, so this page does not trust it.');
  }
  const requestId = requestIdOf(content as unknown as Record<string, unknown>);
  const path = (leaf: string) => [new TextEncoder().encode('request_status'), requestId, new TextEncoder().encode(leaf)];
  const status = lookupResultToBuffer(certificate.lookup_path(path('status')));
  const statusText = status ? new TextDecoder().decode(status) : 'unknown';
  if (statusText === 'rejected') {
    const message = lookupResultToBuffer(certificate.lookup_path(path('reject_message')));
    throw new Error(`The canister rejected the call: ${message ? new TextDecoder().decode(message) : 'no message'}`);
  }
  const reply = statusText === 'replied' ? lookupResultToBuffer(certificate.lookup_path(path('reply'))) : undefined;
  if (!reply) throw new Error(`The wallet's call has no certified reply (status ${statusText}).`);
  return reply;
}

/** A typed actor whose update methods go through the wallet (ICRC-49) and whose queries
 * go anonymously to the IC, so checkout code uses one interface for every payer. */
export async function signerActor<T>(idl: IDL.InterfaceFactory, canisterId: string, host: string,
                                     wallet: SignerWallet): Promise<ActorSubclass<T>> {
  const anonymous = Actor.createActor<T>(idl, { agent: await agentFor(host), canisterId }) as Record<string, unknown>;
  const service = idl({ IDL });
  const target = Principal.fromText(canisterId);
  const methods: Record<string, unknown> = {};
  for (const [name, func] of service._fields) {
    if (func.annotations.includes('query') || func.annotations.includes('composite_query')) {
      methods[name] = anonymous[name];
      continue;
    }
    methods[name] = async (...args: unknown[]) => {
      const reply = await wallet.callRaw(host, target, name, new Uint8Array(IDL.encode(func.argTypes, args)));
      const values = IDL.decode(func.retTypes, reply);
      return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
    };
  }
  return methods as ActorSubclass<T>;
}
