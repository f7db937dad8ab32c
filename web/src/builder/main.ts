// Modal builder for merchants (owner / staff identity): create and edit modal configurations
// with a live preview, start from a factory template, configure elements, copy the embed
// code, and read each modal's analytics. Talks to the merchant canister with the merchant's
// identity: Internet Identity (the checkout's AuthClient module) or locally a dev identity.
import type { Identity } from '@icp-sdk/core/agent';
import type {
  ModalConfig, ModalTheme, BrandingConfig, ElementPage, ModalPage,
} from '../generated/user_payment_canister.idl';
import type { GlobalModalTemplate } from '../generated/payment_backend.idl';
import { apiHostFor, factoryActor, merchantActor, opt, unwrap, type Merchant } from '../lib/ic';
import { escapeHtml } from '../lib/format';
import { secretFromForm, signIn, signInFromFragment, signOut, storedIdentity } from '../lib/identity';
import { CHECKOUT_CSS } from '../lib/styles';
import { walletUrls } from '../lib/wallets/config';
import { restoredInternetIdentity, signInWithInternetIdentity, signOutOfInternetIdentity } from '../lib/wallets/internet-identity';
import { cssBlock, themeVariables } from '../lib/theme';

const host = apiHostFor(window.location.origin);
const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const params = new URLSearchParams(window.location.search);
const KEY = 'ckpay.builderIdentity'; // the merchant's, apart from a customer's checkout identity
const iiUrl = walletUrls(params).ii; // mainnet's II unless the build or (locally) `?ii=` says otherwise

let merchant: Merchant | undefined;
let identity: Identity | undefined;
let editing: ModalConfig | undefined;
let templates: GlobalModalTemplate[] = [];

const editor = $<HTMLFormElement>('#editor');
const field = (name: string) => editor.elements.namedItem(name) as HTMLInputElement;

function optText(value: string): [] | [string] {
  return value.trim() ? [value.trim()] : [];
}

function formTheme(): ModalTheme {
  return {
    primary_color: field('primary_color').value, background_color: field('background_color').value,
    text_color: field('text_color').value, font_family: field('font_family').value,
    border_radius: Number(field('border_radius').value || 0), dark_mode: field('dark_mode').checked,
  };
}

function formBranding(): BrandingConfig {
  return {
    company_name: field('company_name').value, button_text: field('button_text').value,
    accent_color: field('accent_color').value, logo_url: optText(field('logo_url').value),
    support_url: optText(field('support_url').value),
  };
}

function formConfig(): ModalConfig {
  const template = (editor.elements.namedItem('template') as HTMLSelectElement).value;
  return {
    modal_id: editing?.modal_id ?? '',
    name: field('name').value, description: optText(field('description').value),
    theme: formTheme(), branding: formBranding(),
    payment_options: {
      accepted_tokens: field('accepted_tokens').value.split(',').map((t) => t.trim()).filter(Boolean),
      allow_token_selection: field('allow_token_selection').checked,
      show_fiat_equivalent: field('show_fiat_equivalent').checked,
      collect_email: field('collect_email').checked,
    },
    redirect_urls: { success_url: field('success_url').value, cancel_url: field('cancel_url').value },
    template_id: template ? [template] : [],
    created_at: editing?.created_at ?? 0n, updated_at: editing?.updated_at ?? 0n,
    is_active: field('is_active').checked,
  };
}

function fillForm(c: ModalConfig): void {
  const set = (name: string, value: string) => { field(name).value = value; };
  const check = (name: string, value: boolean) => { field(name).checked = value; };
  set('name', c.name); set('description', opt(c.description) ?? ''); check('is_active', c.is_active);
  fillTheme(c.theme);
  set('company_name', c.branding.company_name); set('button_text', c.branding.button_text);
  set('accent_color', c.branding.accent_color); set('logo_url', opt(c.branding.logo_url) ?? '');
  set('support_url', opt(c.branding.support_url) ?? '');
  set('accepted_tokens', c.payment_options.accepted_tokens.join(', '));
  check('allow_token_selection', c.payment_options.allow_token_selection);
  check('show_fiat_equivalent', c.payment_options.show_fiat_equivalent);
  check('collect_email', c.payment_options.collect_email);
  set('success_url', c.redirect_urls.success_url); set('cancel_url', c.redirect_urls.cancel_url);
  (editor.elements.namedItem('template') as HTMLSelectElement).value = opt(c.template_id) ?? '';
}

function fillTheme(t: ModalTheme): void {
  // <input type=color> takes #rrggbb only
  const hex6 = (c: string) => (/^#[0-9a-f]{3}$/i.test(c) ? '#' + [...c.slice(1)].map((x) => x + x).join('') : c.slice(0, 7));
  field('primary_color').value = hex6(t.primary_color);
  field('background_color').value = hex6(t.background_color);
  field('text_color').value = hex6(t.text_color);
  field('font_family').value = t.font_family;
  field('border_radius').value = String(t.border_radius);
  field('dark_mode').checked = t.dark_mode;
}

// ---- live preview: the modal's button and its checkout card, as customers will see them ----
const previewRoot = $('#preview').attachShadow({ mode: 'open' });

function renderPreview(): void {
  const theme = formTheme();
  const branding = formBranding();
  const vars = cssBlock(':host', themeVariables(theme, branding));
  const token = formConfig().payment_options.accepted_tokens[0] ?? 'ckBTC';
  previewRoot.innerHTML = `<style>${CHECKOUT_CSS}${vars}</style>
    <p><button class="ckpay-btn" data-preview-button>${escapeHtml(branding.button_text)}</button></p>
    <div class="ckpay-card" data-preview-card>
      <div class="ckpay-brand"><div class="ckpay-logo">${escapeHtml(branding.company_name.slice(0, 1).toUpperCase())}</div>
        <div><h1>${escapeHtml(branding.company_name)}</h1><small>Secure checkout on the Internet Computer</small></div></div>
      <div class="ckpay-label">Amount due</div><div class="ckpay-amount">0.05 ${escapeHtml(token)}</div>
      ${formConfig().payment_options.show_fiat_equivalent ? '<div class="ckpay-fiat">≈ $42.00</div>' : ''}
      <div class="ckpay-label">Send exactly this amount to</div>
      <div class="ckpay-account"><code>(the session's deposit account)</code><button class="ckpay-btn ckpay-secondary">Copy</button></div>
      <div class="ckpay-row"><div class="ckpay-status"><span class="ckpay-dot"></span>Waiting for payment…</div>
        <div class="ckpay-countdown">29:59</div></div></div>
    <p class="example" style="font:12px system-ui;color:#64748b">Example amount and rate: customers see their session's.</p>`;
}

// ---- data ----
// Modals and elements come in pages of at most 20 (each page stays under the IC's 2 MiB
// reply limit); a merchant has at most 100 of each, so the builder reads every page.
async function allPages<P extends { next_cursor: [] | [string] }, T>(
  fetch: (cursor: [] | [string]) => Promise<{ Ok: P } | { Err: string }>,
  items: (page: P) => T[],
): Promise<T[]> {
  const out: T[] = [];
  let cursor: [] | [string] = [];
  do {
    const page: P = unwrap(await fetch(cursor));
    out.push(...items(page));
    cursor = page.next_cursor;
  } while (cursor.length);
  return out;
}

async function loadLists(): Promise<void> {
  const modals = await allPages((c) => merchant!.list_my_modals(c, []), (p: ModalPage) => p.modals);
  $('#modals').innerHTML = modals.map((m) =>
    `<li><button data-modal="${escapeHtml(m.modal_id)}" class="${editing?.modal_id === m.modal_id ? 'active' : ''}">
      ${escapeHtml(m.name)}${m.is_active ? '' : ' (inactive)'}</button></li>`).join('') || '<li>No modals yet</li>';
  $('#modals').querySelectorAll<HTMLButtonElement>('button[data-modal]').forEach((b) =>
    b.addEventListener('click', () => select(modals.find((m) => m.modal_id === b.dataset.modal)!)));
  const elements = await allPages((c) => merchant!.list_merchant_elements(c, []),
    (p: ElementPage) => p.elements);
  $('#elements').innerHTML = elements.map((e) =>
    `<li><button data-element="${escapeHtml(e.element_id)}">${escapeHtml(e.component_type)} · ${escapeHtml(e.element_id.slice(0, 14))}</button></li>`).join('') || '<li>No elements yet</li>';
  $('#elements').querySelectorAll<HTMLButtonElement>('button[data-element]').forEach((b) =>
    b.addEventListener('click', () => showElementCode(b.dataset.element!)));
}

async function loadTemplates(factoryId: string): Promise<void> {
  try {
    templates = await (await factoryActor(factoryId, host)).list_public_modal_templates();
  } catch {
    templates = [];
  }
  const select = editor.elements.namedItem('template') as HTMLSelectElement;
  select.innerHTML = '<option value="">No template</option>' + templates.map((t) =>
    `<option value="${escapeHtml(t.template_id)}">${escapeHtml(t.template_name)} (${escapeHtml(t.category)})</option>`).join('');
}

async function select(m: ModalConfig | undefined): Promise<void> {
  editing = m;
  $('#editor-title').textContent = m ? `Edit “${m.name}”` : 'New modal';
  $('#save').textContent = m ? 'Save changes' : 'Create modal';
  if (m) fillForm(m);
  renderPreview();
  await Promise.all([showEmbed(), showAnalytics(), loadLists()]);
}

async function showEmbed(): Promise<void> {
  const pre = $('#embed-code');
  const copy = $<HTMLButtonElement>('#copy-embed');
  copy.disabled = true;
  if (!editing) { pre.textContent = 'Save the modal to get its embed code.'; return; }
  const res = await merchant!.generate_modal_embed_code(editing.modal_id);
  pre.textContent = 'Ok' in res ? res.Ok : `Embed code unavailable: ${res.Err}`;
  copy.disabled = !('Ok' in res);
}

async function showAnalytics(): Promise<void> {
  const dl = $('#analytics');
  if (!editing) { dl.innerHTML = '<dt>No modal selected</dt>'; return; }
  const res = await merchant!.get_modal_analytics(editing.modal_id);
  if ('Err' in res) { dl.innerHTML = `<dt>Unavailable</dt><dd>${escapeHtml(res.Err)}</dd>`; return; }
  const a = res.Ok;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rows: Array<[string, string]> = [
    ['Views', a.total_views.toString()], ['Sessions', a.sessions_created.toString()],
    ['Payments', a.successful_payments.toString()], ['Revenue (base units)', a.revenue_generated.toString()],
    ['Conversion', pct(a.conversion_rate)], ['View → session', pct(a.view_to_session_rate)],
    ['Session → payment', pct(a.session_to_payment_rate)],
  ];
  dl.innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd data-metric="${escapeHtml(k)}">${v}</dd>`).join('');
}

async function showElementCode(elementId: string): Promise<void> {
  const res = await merchant!.generate_element_embed_code(elementId);
  $('#element-code').textContent = 'Ok' in res ? res.Ok : `Embed code unavailable: ${res.Err}`;
}

// ---- actions ----
async function save(ev: Event): Promise<void> {
  ev.preventDefault();
  const status = $('#save-status');
  status.className = '';
  status.textContent = 'Saving…';
  try {
    const config = formConfig();
    if (editing) {
      unwrap(await merchant!.update_modal_config(editing.modal_id, config));
      status.textContent = 'Saved';
    } else {
      const id = unwrap(await merchant!.create_modal_config(config));
      status.textContent = `Created ${id}`;
      config.modal_id = id;
    }
    const fresh = unwrap(await merchant!.get_modal_config(config.modal_id));
    await select(fresh);
  } catch (e) {
    status.className = 'error';
    status.textContent = (e as Error).message;
  }
}

async function createElement(ev: Event): Promise<void> {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const get = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
  try {
    const min = get('min_amount').trim();
    const id = unwrap(await merchant!.configure_payment_element({
      element_id: '', component_type: get('component_type'), is_active: true,
      theme_overrides: [{ key: 'button_color', value: get('button_color') }],
      validation_rules: min ? [{ key: 'min_amount', value: min }] : [],
      merchant_branding: formBranding(),
    }));
    await showElementCode(id);
    await loadLists();
  } catch (e) {
    $('#element-code').textContent = (e as Error).message;
  }
}

function showWho(): void {
  $('#who').innerHTML = identity
    ? `Signed in as <code data-principal>${identity.getPrincipal().toText()}</code> <button id="signout">Sign out</button>`
    : 'Not signed in';
  document.getElementById('signout')?.addEventListener('click', async () => {
    signOut(KEY);
    await signOutOfInternetIdentity(iiUrl);
    location.reload();
  });
}

/** Which part of the page is on: the editor only for an owner of an opened merchant; it
 * is hidden and inert otherwise, so nothing in it can be seen, focused or clicked. */
function show(part: 'start' | 'signin' | 'app', note?: string): void {
  $('#start').hidden = part !== 'start';
  $('#signin').hidden = part !== 'signin';
  const app = $('#app');
  app.hidden = part !== 'app';
  app.inert = part !== 'app';
  $('#signin-note').textContent = note ?? 'Sign in as an owner of the merchant canister.';
}

async function open(merchantId: string, factoryId: string): Promise<void> {
  const ii = storedIdentity(KEY) ? undefined : await restoredInternetIdentity(iiUrl).catch(() => undefined);
  identity = storedIdentity(KEY) ?? (ii && !ii.getPrincipal().isAnonymous() ? ii : undefined);
  showWho();
  merchant = undefined;
  if (!merchantId) return show('start');
  if (!identity) return show('signin');
  const actor = await merchantActor(merchantId, host, identity);
  const access = await actor.get_access_overview();
  if ('Err' in access) return show('signin', `This identity cannot manage ${merchantId}: ${access.Err}`);
  merchant = actor;
  show('app');
  if (!field('accepted_tokens').value) {
    const tokens = await merchant.get_accepted_tokens();
    field('accepted_tokens').value = tokens.filter((t) => t.enabled).map((t) => t.symbol).join(', ');
  }
  if (factoryId) await loadTemplates(factoryId);
  await select(undefined);
}

function start(): void {
  const connect = $<HTMLFormElement>('#connect');
  const input = (n: string) => connect.elements.namedItem(n) as HTMLInputElement;
  input('merchant').value = params.get('merchant') ?? '';
  input('factory').value = params.get('factory') ?? import.meta.env.CANISTER_ID_PAYMENT_BACKEND ?? '';
  const go = () => open(input('merchant').value.trim(), input('factory').value.trim()).catch((e) => {
    show('signin', `Error: ${(e as Error).message}`);
  });
  connect.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set('merchant', input('merchant').value.trim());
    url.searchParams.set('factory', input('factory').value.trim());
    history.replaceState(null, '', url);
    go();
  });
  $<HTMLFormElement>('#import').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      signIn(await secretFromForm(ev.target as HTMLFormElement), KEY);
      await go();
    } catch (e) {
      show('signin', (e as Error).message);
    }
  });
  $('#new-identity').addEventListener('click', () => { signIn(undefined, KEY); go(); });
  $('#ii-signin').addEventListener('click', async () => {
    try {
      await signInWithInternetIdentity(iiUrl); // open() takes the session it leaves
      await go();
    } catch (e) {
      show('signin', `Internet Identity sign-in failed: ${(e as Error).message}`);
    }
  });
  editor.addEventListener('input', renderPreview);
  editor.addEventListener('submit', save);
  (editor.elements.namedItem('template') as HTMLSelectElement).addEventListener('change', (ev) => {
    const t = templates.find((x) => x.template_id === (ev.target as HTMLSelectElement).value);
    if (t) { fillTheme(t.base_theme); renderPreview(); }
  });
  $('#new-modal').addEventListener('click', () => { editor.reset(); select(undefined); });
  $('#copy-embed').addEventListener('click', () => navigator.clipboard.writeText($('#embed-code').textContent ?? ''));
  $<HTMLFormElement>('#element-form').addEventListener('submit', createElement);
  renderPreview();
  try {
    signInFromFragment(KEY); // run.sh's dev link (local hosts only)
  } catch (e) {
    show('signin', `The sign-in link holds no usable identity: ${(e as Error).message}`);
    return;
  }
  go();
}

start();
