// Overview: volume per token and in USD, payments, conversion and refunds over a range, with
// charts by day, week or month (get_payment_analytics, get_revenue_breakdown; USD from the
// factory's get_real_time_rates). Charts are drawn with Chart.js.
import { BarController, BarElement, CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import type { RevenueBreakdown, TokenVolumeEntry } from '../../generated/user_payment_canister.idl';
import { factoryActor } from '../../lib/ic';
import { fiatCents, formatUsd } from '../../lib/format';
import { type Ctx, decimalsOf, h, money, ok } from '../context';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

const DAY_NS = 86_400_000_000_000n;
const RANGES: Record<string, { days: number; period: 'Day' | 'Week' | 'Month' }> = {
  '7d': { days: 7, period: 'Day' }, '30d': { days: 30, period: 'Day' },
  '12w': { days: 84, period: 'Week' }, '12m': { days: 365, period: 'Month' },
};
const COLORS = ['#4f46e5', '#0ea5e9', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6'];
let charts: Chart[] = [];

async function usdRates(ctx: Ctx): Promise<Record<string, number>> {
  if (!ctx.factoryId) return {};
  try {
    const factory = await factoryActor(ctx.factoryId, ctx.host);
    return Object.fromEntries((await factory.get_real_time_rates()).map((r) => [r.key, r.value]));
  } catch {
    return {};
  }
}

function usdOf(ctx: Ctx, volume: TokenVolumeEntry[], rates: Record<string, number>): number | null {
  let cents = 0;
  for (const v of volume) {
    if (v.value === 0n) continue;
    const c = fiatCents(v.value, decimalsOf(ctx, v.key), rates[v.key]);
    if (c === null) return null;
    cents += c;
  }
  return cents;
}

export async function overview(ctx: Ctx, el: HTMLElement, param = '30d'): Promise<void> {
  const range = RANGES[param] ?? RANGES['30d'];
  const end = (BigInt(Date.now()) * 1_000_000n / DAY_NS + 1n) * DAY_NS; // the end of today (UTC)
  const dates = { start: end - BigInt(range.days) * DAY_NS, end };
  const [analytics, breakdown, rates] = await Promise.all([
    ctx.merchant.get_payment_analytics(dates).then(ok),
    ctx.merchant.get_revenue_breakdown({ [range.period]: dates } as never).then(ok) as Promise<RevenueBreakdown>,
    usdRates(ctx),
  ]);
  const usd = usdOf(ctx, analytics.total_volume, rates);
  const refundedUsd = usdOf(ctx, analytics.refunded_volume, rates);
  const volumes = analytics.total_volume.filter((v) => v.value > 0n);
  const funnel = analytics.conversion_funnel;
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const card = (label: string, value: string, key: string) =>
    `<div class="card"><div class="label">${h(label)}</div><div class="value" data-metric="${key}">${value}</div></div>`;
  el.innerHTML = `<h1>Overview</h1>
    <div class="toolbar" data-ranges>${Object.keys(RANGES).map((r) =>
      `<a class="button${r === param ? ' primary' : ''}" href="#/overview/${r}" data-range="${r}">${r}</a>`).join('')}</div>
    <div class="cards">
      ${card('Volume (USD)', usd === null ? 'rate unavailable' : formatUsd(usd), 'volume_usd')}
      ${card('Volume', volumes.length ? volumes.map((v) => h(money(ctx, v.value, v.key))).join('<br>') : '0', 'volume')}
      ${card('Payments', analytics.transaction_count.toString(), 'payments')}
      ${card('Conversion (sessions paid)', pct(funnel.session_to_payment_rate), 'conversion')}
      ${card('Refunds', `${analytics.refund_count}${refundedUsd ? ` · ${formatUsd(refundedUsd)}` : ''}`, 'refunds')}
      ${card('Customers', analytics.customer_analytics.total_customers.toString(), 'customers')}
    </div>
    <div class="panel"><h2>Volume by ${range.period.toLowerCase()}</h2><div class="chart"><canvas id="chart-volume"></canvas></div></div>
    <div class="panel"><h2>Payments and refunds</h2><div class="chart"><canvas id="chart-count"></canvas></div></div>
    <div class="panel"><h2>Checkout funnel</h2><dl class="kv">
      <dt>Modal views</dt><dd>${funnel.modal_views}</dd><dt>Sessions created</dt><dd data-metric="sessions_created">${funnel.sessions_created}</dd>
      <dt>Sessions completed</dt><dd data-metric="sessions_completed">${funnel.sessions_completed}</dd><dt>Sessions expired</dt><dd>${funnel.sessions_expired}</dd>
      <dt>One-click charges</dt><dd>${funnel.one_click_charges}</dd><dt>Abandonment</dt><dd>${pct(funnel.abandonment_rate)}</dd></dl></div>`;
  charts.forEach((c) => c.destroy());
  const labels = breakdown.buckets.map((b) => b.label);
  const symbols = [...new Set(breakdown.buckets.flatMap((b) => b.volume.map((v) => v.key)))];
  const amount = (list: TokenVolumeEntry[], s: string) => Number(list.find((v) => v.key === s)?.value ?? 0n) / 10 ** decimalsOf(ctx, s);
  const common = { responsive: true, maintainAspectRatio: false, animation: false as const };
  charts = [
    new Chart(el.querySelector<HTMLCanvasElement>('#chart-volume')!, {
      type: 'bar', options: common,
      data: { labels, datasets: symbols.map((s, i) => ({ label: s, data: breakdown.buckets.map((b) => amount(b.volume, s)), backgroundColor: COLORS[i % COLORS.length] })) },
    }),
    new Chart(el.querySelector<HTMLCanvasElement>('#chart-count')!, {
      type: 'line', options: common,
      data: { labels, datasets: [
        { label: 'Payments', data: breakdown.buckets.map((b) => Number(b.transactions)), borderColor: COLORS[0] },
        { label: 'Refunded (tokens)', data: breakdown.buckets.map((b) => symbols.reduce((sum, s) => sum + amount(b.refunded, s), 0)), borderColor: COLORS[4] },
      ] },
    }),
  ];
  el.dataset.buckets = String(breakdown.buckets.length);
}
