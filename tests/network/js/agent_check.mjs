// Drives localnet with the official JavaScript agent (@icp-sdk/core): fetches the root key,
// verifies query signatures and update certificates (the agent's defaults), and prints JSON.
// usage: node agent_check.mjs URL CANISTER_ID INC_METHOD GET_METHOD FAIL_METHOD
import { HttpAgent, Actor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity, ECDSAKeyIdentity, DelegationChain, DelegationIdentity }
  from '@icp-sdk/core/identity';

const [url, canisterId, incName, getName, failName] = process.argv.slice(2);
const idlFactory = ({ IDL }) => IDL.Service({
  [incName]: IDL.Func([], [IDL.Nat], []),
  [getName]: IDL.Func([], [IDL.Nat], ['query']),
  [failName]: IDL.Func([], [], []),
});

async function actorFor(identity) {
  const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true });
  return { agent, actor: Actor.createActor(idlFactory, { agent, canisterId }) };
}

const out = {};
const ed = Ed25519KeyIdentity.generate();
const { agent, actor } = await actorFor(ed);
out.rootKeyLength = agent.rootKey.length;
out.update1 = (await actor[incName]()).toString();
out.query = (await actor[getName]()).toString();

const p256 = await ECDSAKeyIdentity.generate();
out.updateP256 = (await (await actorFor(p256)).actor[incName]()).toString();

const session = Ed25519KeyIdentity.generate();
const chain = await DelegationChain.create(ed, session.getPublicKey(),
                                           new Date(Date.now() + 3600 * 1000));
const delegated = DelegationIdentity.fromDelegation(session, chain);
out.delegatedPrincipalMatches = delegated.getPrincipal().toText() === ed.getPrincipal().toText();
out.updateDelegated = (await (await actorFor(delegated)).actor[incName]()).toString();

try {
  await actor[failName]();
  out.reject = 'no error';
} catch (e) {
  out.reject = e.constructor.name;
  out.rejectText = String(e.message);
}
console.log(JSON.stringify(out));
