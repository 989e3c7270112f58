// The jobs list (#/jobs): jobs with live progress and a status filter.

import { h, replace, seg } from './dom.js';
import { ago, duration, num, pct, rateText, when } from './format.js';
import { api } from './api.js';
import { current, every, focusHeading, live, pageHead, setQuery, setTitle, view } from './page.js';
import { badge, done, fileText, jobTitle, labelSummary, meter, progressFrac, rate, specOf, timeLeft, tokensText } from './jobutil.js';

const STATUSES = ['pending', 'processing', 'completed', 'failed'];
export function renderJobs(params) {
  const my = current();
  setTitle('Jobs');
  let status = STATUSES.includes(params.get('status')) ? params.get('status') : '';
  const tbody = h('tbody');
  const more = h('div', { class: 'more', hidden: true });
  const err = h('div', { class: 'banner bad', role: 'alert', hidden: true });
  const table = h('table', { class: 'list stacked', id: 'jobs-table' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', text: 'Job' }), h('th', { scope: 'col', text: 'Labels' }), h('th', { scope: 'col', text: 'Status' }), h('th', { scope: 'col', text: 'Progress' }),
      h('th', { scope: 'col', class: 'num', text: 'Failed' }), h('th', { scope: 'col', class: 'num', text: 'Tokens' }),
      h('th', { scope: 'col', class: 'num', text: 'Throughput' }), h('th', { scope: 'col', class: 'num', text: 'Time left' }))),
    tbody);
  const body = h('div', { class: 'card flush' }, h('div', { class: 'skeleton', style: 'padding:24px', text: 'Loading jobs…' }));
  const filter = h('div', { class: 'filter-bar' }, h('span', { class: 'lbl', id: 'status-filter-lbl', text: 'Status' }),
    seg('status-filter', [['', 'All'], ...STATUSES.map((x) => [x, x[0].toUpperCase() + x.slice(1)])], status, (v) => {
      status = v;
      const p = new URLSearchParams();
      if (v) p.set('status', v);
      setQuery('/jobs', p);
      limit = 20;
      replace(body, h('div', { class: 'skeleton', style: 'padding:24px', text: 'Loading jobs…' }));
      load().catch(() => {});
    }, 'status-filter-lbl'));
  view.append(
    pageHead('Jobs', 'Batch jobs of this account, newest first. Progress updates live.', h('a', { class: 'btn primary', href: '#/new', text: '+ New job' })),
    filter, err, body);
  focusHeading();

  const rows = new Map();
  let limit = 20;
  let hasMore = false;
  let anyProcessing = false;

  function row(j) {
    let r = rows.get(j.job_id);
    if (!r) {
      r = {
        tr: h('tr', { 'data-job': j.job_id }),
        link: h('a', { class: 'job-link', href: `#/job/${j.job_id}` }),
        created: h('div', { class: 'sub' }),
        labels: h('td', { 'data-label': 'Labels', class: 'labels-cell' }),
        status: h('td', { 'data-label': 'Status' }),
        prog: h('td', { 'data-label': 'Progress', class: 'prog-cell' }),
        failed: h('td', { class: 'num', 'data-label': 'Failed' }),
        tokens: h('td', { class: 'num', 'data-label': 'Tokens' }),
        rate: h('td', { class: 'num', 'data-label': 'Throughput' }),
        left: h('td', { class: 'num', 'data-label': 'Time left' }),
      };
      r.tr.append(h('td', { class: 'first' }, r.link, r.created), r.labels, r.status, r.prog, r.failed, r.tokens, r.rate, r.left);
      rows.set(j.job_id, r);
    }
    r.link.textContent = jobTitle(j);
    r.link.classList.toggle('named', !!j.name);
    const bits = [];
    if (j.name) bits.push(h('span', { class: 'mono', text: j.job_id }));
    bits.push(fileText(j) ? h('span', { class: 'file-name', text: fileText(j) }) : h('span', { class: 'muted', text: 'no file yet' }));
    bits.push(`${j.mode === 'multi' ? 'multi-label' : 'single-label'} · created ${ago(j.created_at)}`);
    replace(r.created, bits.map((b, i) => [i ? ' · ' : '', b]));
    r.created.title = when(j.created_at);
    const sumKey = JSON.stringify(specOf(j).labels || specOf(j).classifier || '');
    if (r.labels.dataset.k !== sumKey) { replace(r.labels, labelSummary(specOf(j))); r.labels.dataset.k = sumKey; }
    if (r.tr.dataset.status !== j.status) { replace(r.status, badge(j.status)); r.tr.dataset.status = j.status; }
    const f = progressFrac(j);
    const counting = j.status === 'processing' && !j.requests_total;
    replace(r.prog, h('div', { class: 'prog' }, meter(j),
      h('div', { class: 'sub' },
        h('span', { text: counting ? 'counting lines…' : `${num(done(j))} / ${num(j.requests_total)} lines` }),
        h('span', { text: j.status === 'pending' ? '' : pct(f) }))));
    r.failed.textContent = j.requests_failed ? num(j.requests_failed) : (j.status === 'pending' ? '—' : '0');
    r.tokens.textContent = tokensText(j);
    const rt = j.status === 'processing' || j.status === 'completed' ? rate(j) : null;
    r.rate.textContent = rateText(rt);
    const left = timeLeft(j, rt);
    r.left.textContent = j.status === 'processing' ? (left == null ? 'estimating…' : duration(left)) : '—';
    return r.tr;
  }

  async function load() {
    const asked = status;
    let res;
    try {
      res = await api('GET', `/v1/batch?limit=${limit}${status ? `&status=${status}` : ''}`);
    } catch (e) {
      if (!live(my)) return;
      err.textContent = `Could not load jobs: ${e.message}`;
      err.hidden = false;
      throw e;
    }
    if (!live(my) || asked !== status) return;
    err.hidden = true;
    const jobs = res.data || [];
    hasMore = !!res.has_more;
    anyProcessing = jobs.some((j) => j.status === 'processing');
    if (!jobs.length) {
      for (const r of rows.values()) r.tr.remove();
      rows.clear();
      replace(body, status
        ? h('div', { class: 'empty', id: 'jobs-empty' }, h('h2', { text: `No ${status} jobs` }), h('p', { text: 'Pick another status above to see the other jobs.' }))
        : h('div', { class: 'empty', id: 'jobs-empty' },
          h('h2', { text: 'No jobs yet' }),
          h('p', { text: 'Create a job: name your labels, upload an NDJSON file of texts, preview what the labels do, and download one result per line.' }),
          h('a', { class: 'btn primary', href: '#/new', text: 'Create your first job' })));
      return;
    }
    if (!body.contains(table)) replace(body, h('div', { class: 'table-wrap' }, table), more);
    const seen = new Set(jobs.map((j) => j.job_id));
    for (const [id, r] of rows) if (!seen.has(id)) { r.tr.remove(); rows.delete(id); }
    jobs.forEach((j, i) => {
      const tr = row(j);
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
    });
    more.hidden = !hasMore;
    replace(more, h('button', { class: 'btn small', type: 'button', text: 'Show more jobs', onclick: () => { limit = Math.min(100, limit + 20); load(); } }));
    if (hasMore && limit >= 100) replace(more, h('span', { class: 'muted', text: 'Showing the newest 100 jobs.' }));
  }
  every(() => (anyProcessing ? 1000 : 8000), load);
}
