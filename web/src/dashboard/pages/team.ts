// Team: co-owners (add_owner, remove_owner) and server keys, the principals the merchant's
// backend signs with (authorize_server_principal, revoke_server_principal); from
// get_access_overview.
import { Principal } from '@icp-sdk/core/principal';
import { type Ctx, act, h, ok, table, when } from '../context';

export async function team(ctx: Ctx, el: HTMLElement): Promise<void> {
  const access = ok(await ctx.merchant.get_access_overview());
  el.innerHTML = `<h1>Team</h1>
    <h2>Owners</h2>
    ${table(['Principal', ''], access.owners.map((o) => [`<code data-owner>${h(o.toText())}</code>${o.toText() === ctx.principal ? ' <span class="badge">you</span>' : ''}`,
      access.owners.length > 1 ? `<button class="danger" data-remove-owner="${h(o.toText())}">Remove</button>` : '']))}
    <form class="inline" id="owner"><label>Co-owner principal <input name="p" required size="40"></label><button class="primary">Add co-owner</button></form>
    <h2>Server keys</h2>
    ${table(['Label', 'Principal', 'Added', ''], access.servers.map((s) => [h(s.label), `<code data-server>${h(s.principal_id.toText())}</code>`, h(when(s.added_at)),
      `<button class="danger" data-revoke-server="${h(s.principal_id.toText())}">Revoke</button>`]))}
    <form class="inline" id="server"><label>Server principal <input name="p" required size="40"></label>
      <label>Label <input name="label" required value="backend"></label><button class="primary">Authorize</button></form>`;
  const bind = (sel: string, work: (form: HTMLFormElement) => Promise<string>) => {
    const form = el.querySelector<HTMLFormElement>(sel)!;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const done = await act(el, form.querySelector('button'), () => work(form));
      if (done) await ctx.refresh(done);
    });
  };
  const value = (f: HTMLFormElement, n: string) => (f.elements.namedItem(n) as HTMLInputElement).value.trim();
  bind('#owner', async (f) => { ok(await ctx.merchant.add_owner(Principal.fromText(value(f, 'p')))); return 'Co-owner added.'; });
  bind('#server', async (f) => { ok(await ctx.merchant.authorize_server_principal(Principal.fromText(value(f, 'p')), value(f, 'label'))); return 'Server key authorized.'; });
  const click = (attr: string, work: (p: Principal) => Promise<string>) => el.querySelectorAll<HTMLButtonElement>(`[${attr}]`).forEach((b) =>
    b.addEventListener('click', async () => {
      const done = await act(el, b, () => work(Principal.fromText(b.getAttribute(attr)!)));
      if (done) await ctx.refresh(done);
    }));
  click('data-remove-owner', async (p) => { ok(await ctx.merchant.remove_owner(p)); return 'Owner removed.'; });
  click('data-revoke-server', async (p) => { ok(await ctx.merchant.revoke_server_principal(p)); return 'Server key revoked.'; });
}
