// Ledger and canister errors as sentences a customer can act on (never raw JSON). Covers the
// ICRC-1/ICRC-2 error variants (spec/icrc/ICRC-1, ICRC-2) and the merchant canister's
// error codes for payments (`insufficient_funds: ...`, `insufficient_allowance: ...`).
import { formatUnits } from './format';

type Variant = Record<string, unknown>;

export interface Units { decimals: number; symbol: string }

const amount = (v: unknown, u: Units) => `${formatUnits(BigInt(v as bigint), u.decimals)} ${u.symbol}`;

/** An ICRC-1/2 `TransferError`/`ApproveError`/`TransferFromError` as one sentence. */
export function ledgerErrorSentence(err: Variant, u: Units, needed?: bigint): string {
  const [name] = Object.keys(err);
  const body = (err[name] ?? {}) as Record<string, unknown>;
  switch (name) {
    case 'InsufficientFunds':
      return `Your wallet holds ${amount(body.balance, u)}` +
        (needed !== undefined ? `, but this payment needs ${amount(needed, u)} including the ledger fee.` : ', which is not enough for this payment.');
    case 'InsufficientAllowance':
      return `The approval for the merchant covers only ${amount(body.allowance, u)}; approve the full amount and try again.`;
    case 'BadFee':
      return `The ledger fee changed to ${amount(body.expected_fee, u)}; reload the page and try again.`;
    case 'AllowanceChanged':
      return `The approval changed meanwhile (now ${amount(body.current_allowance, u)}); try again.`;
    case 'Expired':
      return 'The approval expired before it was used; try again.';
    case 'TooOld':
    case 'CreatedInFuture':
      return 'Your device clock is off; correct the time and try again.';
    case 'Duplicate':
      return 'This exact transaction was already sent to the ledger.';
    case 'TemporarilyUnavailable':
      return 'The ledger is temporarily unavailable; try again in a moment.';
    case 'GenericError':
      return `The ledger refused the transaction: ${String(body.message)}.`;
    default:
      return `The ledger refused the transaction (${name}).`;
  }
}

/** A merchant canister `Err` text about a payment as a sentence (other texts unchanged). */
export function paymentErrorSentence(text: string, u: Units, needed?: bigint): string {
  const funds = /^insufficient_funds: ledger balance is (\d+)/.exec(text);
  if (funds) return ledgerErrorSentence({ InsufficientFunds: { balance: BigInt(funds[1]) } }, u, needed);
  const allowance = /^insufficient_allowance: approved allowance is (\d+)/.exec(text);
  if (allowance) return ledgerErrorSentence({ InsufficientAllowance: { allowance: BigInt(allowance[1]) } }, u);
  const fee = /^ledger_error: bad fee, the ledger expects (\d+)/.exec(text);
  if (fee) return ledgerErrorSentence({ BadFee: { expected_fee: BigInt(fee[1]) } }, u);
  const held = /^conflict: session \S+ already holds (\d+) of (\d+) in its deposit account/.exec(text);
  if (held) {
    return `${amount(held[1], u)} of the price already arrived by transfer, so nothing was charged: send the remaining ` +
      `${amount(BigInt(held[2]) - BigInt(held[1]), u)} to the account above to finish.`;
  }
  if (text.startsWith('expired')) return 'This checkout session has expired.';
  if (text.startsWith('rate_limited')) return 'Too many attempts; wait a minute and try again.';
  return text;
}
