// The admin overview (#/system, admin keys only): the appliance's state from
// GET /v1/admin/system and every account's jobs from GET /v1/admin/jobs, read-only.

import { h, replace } from './dom.js';
import { ago, bytes, duration, num, pct, when } from './format.js';
import { api, apiKey } from './api.js';
import { current, every, focusHeading, live, pageHead, setTitle, view } from './page.js';
import { badge, done, jobTitle, labelSummary, specOf } from './jobutil.js';
import { clusterSection } from './cluster.js';

// isAdmin asks the appliance once per key whether it is an admin key (the system page
// answers 403 otherwise), for the navigation to show the System page only to admins.
const adminKeys = new Map();
export async function isAdmin() {
  const key = apiKey();
  if (!key) return false;
  if (!adminKeys.has(key)) {
    adminKeys.set(key, api('GET', '/v1/admin/system').then(() => true, () => false));
  }
  return adminKeys.get(key);
}

export function renderSystem() {
  const my = current();
  setTitle('System');
  const sys = h('div', { id: 'system' }, h('div', { class: 'card skeleton', text: 'Loading…' }));
  const jobsBody = h('div', { class: 'card flush', id: 'admin-jobs-card' }, h('div', { class: 'skeleton', style: 'padding:24px', text: 'Loading jobs…' }));
  const cluster = clusterSection(() => live(my));
  view.append(pageHead('System', 'The appliance and the jobs of every account. Read-only: a job is changed with its owner\'s key.'), sys, cluster.el,
    h('h2', { class: 'section-h', id: 'h-admin-jobs', text: 'All jobs' }), jobsBody);
  focusHeading();
  let limit = 20;

  async function loadSystem() {
    let s;
    try {
      s = await api('GET', '/v1/admin/system');
    } catch (e) {
      if (!live(my)) return;
      if (e.status === 403) {
        replace(sys, h('div', { class: 'empty card', id: 'system-forbidden' }, h('h2', { text: 'The system page needs an admin key' }),
          h('p', { text: 'The key in use is not an admin key. Connect with an admin key to see the appliance and every account\'s jobs.' })));
        jobsBody.hidden = true;
        return;
      }
      replace(sys, h('div', { class: 'banner bad', role: 'alert', text: `Could not load the system state: ${e.message}` }));
      return;
    }
    if (!live(my)) return;
    const item = (k, v, idv) => h('div', null, h('dt', { text: k }), h('dd', { id: idv, text: v }));
    const q = s.queue || {};
    replace(sys, h('div', { class: 'grid2' },
      h('section', { class: 'card', 'aria-labelledby': 'h-sys' }, h('h2', { id: 'h-sys', text: 'Appliance' }),
        h('dl', { class: 'times facts', id: 'sys-facts' },
          item('Version', `${s.version}${s.commit ? ` (${s.commit.slice(0, 12)})` : ''}`, 'sys-version'),
          item('Up for', duration(s.uptime_seconds), 'sys-uptime'),
          item('Storage', `${s.storage.kind === 'local' ? 'local disk' : 'S3'}${s.storage.free_bytes != null ? `, ${bytes(s.storage.free_bytes)} free` : ''}`, 'sys-storage'),
          item('Database', s.database_bytes != null ? bytes(s.database_bytes) : '—', 'sys-db'),
          item('Jobs running', num(q.active), 'sys-active'),
          item('Started, waiting', num(q.queued), 'sys-queued'),
          item('Created, not started', num(q.pending), 'sys-pending'))),
      h('section', { class: 'card', 'aria-labelledby': 'h-models' }, h('h2', { id: 'h-models', text: 'Models' }),
        h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'sys-models' },
          h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Model' }), h('th', { scope: 'col', text: 'Kind' }), h('th', { scope: 'col', text: 'State' }))),
          h('tbody', null, (s.models || []).map((m) => h('tr', { 'data-model': m.name, 'data-ready': String(m.ready) },
            h('td', null, h('b', { text: m.name }), m.default ? h('span', { class: 'muted', text: ' (default)' }) : null),
            h('td', { text: m.kind }),
            h('td', null, m.ready ? h('span', { class: 'badge completed', text: 'ready' }) : h('span', { class: 'badge failed', title: m.error || '', text: 'not ready' }),
              !m.ready && m.error ? h('div', { class: 'sub', text: m.error }) : null)))))))));
  }

  const tbody = h('tbody');
  const table = h('table', { class: 'list stacked', id: 'admin-jobs' },
    h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Job' }), h('th', { scope: 'col', text: 'Account' }), h('th', { scope: 'col', text: 'Labels' }),
      h('th', { scope: 'col', text: 'Status' }), h('th', { scope: 'col', class: 'num', text: 'Lines' }), h('th', { scope: 'col', class: 'num', text: 'Accuracy' }))),
    tbody);
  const more = h('div', { class: 'more', hidden: true });
  async function loadJobs() {
    let r;
    try {
      r = await api('GET', `/v1/admin/jobs?limit=${limit}`);
    } catch (e) {
      if (!live(my)) return;
      if (e.status !== 403) replace(jobsBody, h('div', { class: 'banner bad', role: 'alert', text: `Could not load the jobs: ${e.message}` }));
      return;
    }
    if (!live(my)) return;
    const jobs = r.data || [];
    if (!jobs.length) { replace(jobsBody, h('div', { class: 'empty' }, h('p', { text: 'No jobs on this appliance yet.' }))); return; }
    replace(tbody, jobs.map((j) => h('tr', { 'data-job': j.job_id, 'data-account': j.account },
      h('td', { class: 'first', 'data-label': 'Job' }, h('div', { class: j.name ? '' : 'mono', text: jobTitle(j) }),
        h('div', { class: 'sub', title: when(j.created_at) }, j.name ? h('span', { class: 'mono', text: `${j.job_id} · ` }) : null, `created ${ago(j.created_at)}`)),
      h('td', { 'data-label': 'Account', text: j.account }),
      h('td', { 'data-label': 'Labels', class: 'labels-cell' }, labelSummary(specOf(j))),
      h('td', { 'data-label': 'Status' }, badge(j.status)),
      h('td', { class: 'num', 'data-label': 'Lines', text: `${num(done(j))} / ${num(j.requests_total)}` }),
      h('td', { class: 'num', 'data-label': 'Accuracy', text: j.review && j.review.accuracy ? pct(j.review.accuracy.estimate) : '—' }))));
    if (!jobsBody.contains(table)) replace(jobsBody, h('div', { class: 'table-wrap' }, table), more);
    more.hidden = !r.has_more;
    replace(more, limit < 100
      ? h('button', { class: 'btn small', type: 'button', text: 'Show more jobs', onclick: () => { limit = Math.min(100, limit + 20); loadJobs(); } })
      : h('span', { class: 'muted', text: `Showing the newest 100 of ${num(r.total)} jobs.` }));
    jobsBody.dataset.total = String(r.total);
  }
  every(5000, async () => { await loadSystem(); if (!jobsBody.hidden) await Promise.all([cluster.load(), loadJobs()]); });
}
