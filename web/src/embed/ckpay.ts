// ckpay.js: the embeddable ckPayment components, framework-free. A merchant pastes the snippet
// that `generate_modal_embed_code` / `generate_element_embed_code` return:
//   <script src=".../ckpay/1.0.0/ckpay.js" defer></script>
//   <div data-ckpay-component="modal" data-canister-id="..." data-modal-id="..."></div>
// On load the script mounts every `[data-ckpay-component]` (and ones added later), reads its
// configuration from the merchant canister, reports views/interactions, and opens the
// checkout for a session the merchant's server creates (`data-session-url`, POST -> JSON
// `{"session_id": ...}`) or names (`data-session-id`). Appearance: the canister's theme,
// overridable by the page through the `--ckpay-*` CSS variables on the mount element.
import { CKPAY_VERSION } from './version';
import { apiHostFor } from '../lib/ic';
import { mountElement } from './elements';
import { mountModal, openCheckout, type EmbedContext } from './modal';

interface CkPayApi {
  version: string;
  mount(root?: ParentNode): void;
  open(options: { canisterId: string; sessionId: string; modalId?: string }): Promise<void>;
}

declare global {
  interface Window { CkPay?: CkPayApi }
}

const script = document.currentScript as HTMLScriptElement | null;
const scriptOrigin = script?.src ? new URL(script.src).origin : window.location.origin;
const ctx: EmbedContext = { host: apiHostFor(scriptOrigin) };
const mounted = new WeakSet<Element>();

function mount(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>('[data-ckpay-component]').forEach((el) => {
    if (mounted.has(el)) return;
    mounted.add(el);
    const kind = el.dataset.ckpayComponent;
    const run = kind === 'modal' ? mountModal(el, ctx) : kind === 'element' ? mountElement(el, ctx)
      : Promise.reject(new Error(`unknown data-ckpay-component ${JSON.stringify(kind)}`));
    run.catch((e) => {
      el.dataset.ckpayError = (e as Error).message;
      console.error('[ckpay]', e);
    });
  });
}

if (!window.CkPay) {
  window.CkPay = {
    version: CKPAY_VERSION,
    mount,
    open: ({ canisterId, sessionId, modalId }) => openCheckout(document.body, ctx, canisterId, sessionId, modalId),
  };
  const start = () => {
    mount();
    new MutationObserver(() => mount()).observe(document.body, { childList: true, subtree: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
} else {
  window.CkPay.mount(); // the snippet was pasted twice: one script, every mount point
}
