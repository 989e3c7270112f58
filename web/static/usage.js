// Usage (#/usage): tokens and cost per day as a chart.

import { h, replace, s, seg } from './dom.js';
import { compact, money, num } from './format.js';
import { api } from './api.js';
import { current, focusHeading, live, pageHead, setQuery, setTitle, view } from './page.js';

export function renderUsage(params) {
  const my = current();
  setTitle('Usage');
  let days = [7, 30, 90].includes(Number(params.get('days'))) ? Number(params.get('days')) : 30;
  const body = h('div', { id: 'usage' }, h('div', { class: 'card skeleton', text: 'Loading usage…' }));
  view.append(pageHead('Usage', 'Tokens, requests and jobs of this account per day (UTC), and their cost at the appliance\'s price.'),
    h('div', { class: 'filter-bar' }, h('span', { class: 'lbl', id: 'usage-range-lbl', text: 'Range' }),
      seg('usage-range', [['7', '7 days'], ['30', '30 days'], ['90', '90 days']], String(days), (v) => {
        days = Number(v);
        setQuery('/usage', new URLSearchParams({ days: v }));
        load();
      }, 'usage-range-lbl')),
    body);
  focusHeading();
  const iso = (d) => d.toISOString().slice(0, 10);

  async function load() {
    const asked = days;
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86400000);
    let res;
    try { res = await api('GET', `/v1/usage?from=${iso(from)}&to=${iso(to)}`); } catch (e) {
      if (!live(my)) return;
      replace(body, h('div', { class: 'banner bad', role: 'alert', text: `Could not load usage: ${e.message}` }));
      return;
    }
    if (!live(my) || asked !== days) return;
    // Every day of the range, with zeros where the answer lists none.
    const byDate = new Map((res.data || []).map((d) => [d.date, d]));
    const all = [];
    for (let t = Date.parse(`${res.from}T00:00:00Z`); t <= Date.parse(`${res.to}T00:00:00Z`); t += 86400000) {
      const d = iso(new Date(t));
      all.push(byDate.get(d) || { date: d, tokens: 0, realtime_tokens: 0, batch_tokens: 0, requests: 0, batch_lines: 0, jobs: 0, cost: 0 });
    }
    const tot = res.total || {};
    const stat = (k, v, id) => h('div', { class: 'stat' }, h('div', { class: 'k', text: k }), h('div', { class: 'v', id, text: v }));
    const price = res.price_per_million_tokens;
    replace(body,
      h('div', { class: 'stats' },
        stat('Tokens', num(tot.tokens), 'usage-tokens'),
        stat('Cost', money(tot.cost), 'usage-cost'),
        stat('Real-time requests', num(tot.requests)),
        stat('Batch jobs', num(tot.jobs)),
        stat('Batch lines', num(tot.batch_lines))),
      h('section', { class: 'card', 'aria-labelledby': 'h-usage-chart', style: 'margin-top:16px' },
        h('h2', { id: 'h-usage-chart', text: 'Tokens and cost per day' }),
        usageChart(body, all, price),
        h('div', { class: 'pv-legend' }, h('span', null, h('i', { class: 'sw c0' }), 'batch tokens'), h('span', null, h('i', { class: 'sw c1' }), 'real-time tokens')),
        h('p', { class: 'caption', text: `${res.from} to ${res.to}, UTC. The right axis is the cost at ${price} per million tokens (pricing.per_million_tokens).` })),
      h('section', { class: 'card flush', 'aria-labelledby': 'h-usage-days', style: 'margin-top:16px' },
        h('div', { style: 'padding:18px 20px 6px' }, h('h2', { id: 'h-usage-days', text: 'Days with usage' })),
        byDate.size ? h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'usage-table' },
          h('thead', null, h('tr', null, ['Date', 'Tokens', 'Real-time', 'Batch', 'Requests', 'Jobs', 'Batch lines', 'Cost'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : '', text: t })))),
          h('tbody', null, [...byDate.values()].sort((a, b) => (a.date < b.date ? 1 : -1)).map((d) => h('tr', { 'data-date': d.date },
            h('td', { class: 'mono', text: d.date }), h('td', { class: 'num', text: num(d.tokens) }), h('td', { class: 'num', text: num(d.realtime_tokens) }),
            h('td', { class: 'num', text: num(d.batch_tokens) }), h('td', { class: 'num', text: num(d.requests) }), h('td', { class: 'num', text: num(d.jobs) }),
            h('td', { class: 'num', text: num(d.batch_lines) }), h('td', { class: 'num', text: money(d.cost) }))))))
          : h('p', { class: 'muted', style: 'padding:0 20px 18px', text: 'No usage in this range.' })));
  }

  // usageChart: stacked bars of batch and real-time tokens per day; the right axis reads
  // the same heights as cost (cost is tokens at one price).
  function usageChart(container, all, price) {
    const avail = container.clientWidth || 900;
    const W = Math.max(300, Math.min(1150, avail - 40)), H = 240, P = { l: 48, r: 56, t: 14, b: 30 };
    const max = Math.max(1, ...all.map((d) => d.tokens));
    const bw = (W - P.l - P.r) / all.length;
    const y = (v) => P.t + (H - P.t - P.b) * (1 - v / max);
    const svg = s('svg', { class: 'hist usage-chart', id: 'usage-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
      'aria-label': `Tokens per day: ${all.filter((d) => d.tokens).map((d) => `${d.date}: ${d.tokens}`).join(', ') || 'none'}` });
    for (const f of [0, 0.5, 1]) {
      const v = max * f;
      svg.append(s('line', { class: 'axis', x1: P.l, x2: W - P.r, y1: y(v), y2: y(v) }),
        s('text', { x: P.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, compact(Math.round(v))),
        s('text', { x: W - P.r + 6, y: y(v) + 4, 'text-anchor': 'start' }, money((v * price) / 1e6)));
    }
    const tick = Math.ceil(all.length / 10);
    all.forEach((d, i) => {
      const x = P.l + i * bw + Math.min(3, bw * 0.15);
      const w = Math.max(1, bw - 2 * Math.min(3, bw * 0.15));
      const g = s('g', { class: 'day', 'data-date': d.date, 'data-tokens': d.tokens, 'data-cost': d.cost });
      const hb = (H - P.b) - y(d.batch_tokens);
      const hr = y(d.batch_tokens) - y(d.batch_tokens + d.realtime_tokens);
      if (d.batch_tokens) g.append(s('rect', { class: 'bar batch', x, y: y(d.batch_tokens), width: w, height: Math.max(1, hb) }));
      if (d.realtime_tokens) g.append(s('rect', { class: 'bar realtime', x, y: y(d.batch_tokens + d.realtime_tokens), width: w, height: Math.max(1, hr) }));
      g.append(s('rect', { class: 'hit', x: P.l + i * bw, y: P.t, width: bw, height: H - P.t - P.b },
        s('title', {}, `${d.date}: ${num(d.tokens)} tokens (batch ${num(d.batch_tokens)}, real-time ${num(d.realtime_tokens)}) · cost ${money(d.cost)}`)));
      svg.append(g);
      if (i % tick === 0 || i === all.length - 1) svg.append(s('text', { x: P.l + i * bw + bw / 2, y: H - P.b + 16, 'text-anchor': 'middle' }, d.date.slice(5)));
    });
    return svg;
  }
  load();
}
