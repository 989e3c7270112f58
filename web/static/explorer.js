// The results explorer of the job page.

import { h, replace } from './dom.js';
import { conf2, num } from './format.js';
import { api } from './api.js';
import { live } from './page.js';
import { specOf } from './jobutil.js';
import { loadReviews, reviewControl } from './review.js';

const PAGE_LINES = 50; // lines per page of the results explorer

// Pages through a job's lines with GET /v1/batch/{id}/lines: the input text beside each
// answer, in any tab. Texts are there from the upload on; answers and the filters once
// the job is completed. A completed job's lines each get a review control (issue 26);
// onReviewed hears every review saved or removed.
export function explorer(id, my, onReviewed = () => {}) {
  let completed = null;
  let multi = false;
  let labels = [];
  let offset = 0;
  let back = []; // offsets of the pages before this one
  let nextOffset = null;
  let filter = { label: '', max: '' };
  let seq = 0;
  let reviews = new Map(); // line index -> review, for a completed job
  const labelSel = h('select', { id: 'ex-label' }, h('option', { value: '', text: 'All labels' }));
  const maxConf = h('input', { type: 'number', id: 'ex-maxconf', class: 'inline-num', min: '0', max: '1', step: '0.05', placeholder: 'any', 'aria-describedby': 'ex-err' });
  const apply = h('button', { class: 'btn small primary', type: 'submit', id: 'ex-apply', text: 'Filter' });
  const reset = h('button', { class: 'btn small ghost', type: 'button', id: 'ex-reset', text: 'Clear', onclick: () => { labelSel.value = ''; maxConf.value = ''; go(); } });
  const err = h('div', { class: 'err', id: 'ex-err', role: 'alert' });
  const note = h('p', { class: 'caption', id: 'ex-note', style: 'margin:0' });
  const form = h('form', { class: 'ex-filters', id: 'ex-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); go(); } },
    h('div', { class: 'field' }, h('label', { for: 'ex-label', text: 'Label' }), labelSel),
    h('div', { class: 'field' }, h('label', { for: 'ex-maxconf' }, 'Confidence at or below ', h('span', { class: 'hint', text: '0 to 1' })), maxConf),
    h('div', { class: 'field actions' }, apply, reset), err);
  const tbody = h('tbody');
  const table = h('table', { class: 'list results', id: 'lines-table' },
    h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'num', text: 'Line' }), h('th', { scope: 'col', text: 'id' }),
      h('th', { scope: 'col', text: 'Text' }), h('th', { scope: 'col', text: 'Result' }), h('th', { scope: 'col', text: 'Confidence' }),
      h('th', { scope: 'col', class: 'rv-col', text: 'Review', hidden: true }))),
    tbody);
  const range = h('span', { class: 'muted', id: 'ex-range', role: 'status' });
  const first = h('button', { class: 'btn small', type: 'button', id: 'ex-first', text: '« First', onclick: () => { back = []; page(0); } });
  const prev = h('button', { class: 'btn small', type: 'button', id: 'ex-prev', text: '‹ Previous', onclick: () => page(back.pop() || 0, true) });
  const next = h('button', { class: 'btn small', type: 'button', id: 'ex-next', text: 'Next ›', onclick: () => { back.push(offset); page(nextOffset); } });
  const body = h('div', { class: 'table-wrap' }, table);
  const el = h('section', { class: 'card flush', id: 'explorer', 'aria-labelledby': 'h-ex' },
    h('div', { class: 'ex-head' }, h('h2', { id: 'h-ex', text: 'Lines' }), note, form),
    body, h('div', { class: 'pager' }, first, prev, range, next));

  function go() {
    err.textContent = '';
    maxConf.classList.remove('invalid');
    const m = maxConf.value.trim();
    if (m !== '' && !(Number(m) >= 0 && Number(m) <= 1)) { err.textContent = 'Confidence must be a number from 0 to 1.'; maxConf.classList.add('invalid'); maxConf.focus(); return; }
    filter = { label: labelSel.value, max: m };
    back = [];
    page(0);
  }

  async function page(off) {
    const mine = ++seq;
    const q = new URLSearchParams({ offset: String(off), limit: String(PAGE_LINES) });
    if (completed && filter.label) q.set('label', filter.label);
    if (completed && filter.max !== '') q.set('max_confidence', filter.max);
    el.classList.add('busy');
    let res;
    try {
      const [r, rvs] = await Promise.all([api('GET', `/v1/batch/${id}/lines?${q}`), completed ? loadReviews(id).catch(() => null) : null]);
      res = r;
      if (rvs) reviews = rvs;
    } catch (e) {
      if (!live(my) || mine !== seq) return;
      el.classList.remove('busy');
      err.textContent = `Could not load the lines: ${e.message}`;
      return;
    }
    if (!live(my) || mine !== seq) return;
    el.classList.remove('busy');
    offset = off;
    nextOffset = res.next_offset == null ? null : res.next_offset;
    const lines = res.lines || [];
    replace(tbody, lines.length ? lines.map(row) : h('tr', { class: 'empty-row' }, h('td', { colspan: completed ? '6' : '5', class: 'muted', text: filter.label || filter.max !== '' ? 'No line on this page or after it matches the filter.' : 'No lines.' })));
    const filtered = completed && (filter.label || filter.max !== '');
    range.textContent = lines.length
      ? `${filtered ? `${num(lines.length)} matching lines, ` : ''}lines ${num(lines[0].index + 1)}–${num(lines[lines.length - 1].index + 1)}`
      : '';
    first.disabled = off === 0;
    prev.disabled = off === 0;
    next.disabled = nextOffset == null;
    tbody.dataset.offset = String(off);
    tbody.dataset.answers = completed ? '1' : '0';
    tbody.dataset.next = nextOffset == null ? '' : String(nextOffset);
    tbody.dataset.filter = `${completed && filter.label ? filter.label : ''}|${completed ? filter.max : ''}`;
  }

  function row(r) {
    const result = () => {
      if (r.error) return h('span', { class: 'pill err', text: r.error });
      if (Array.isArray(r.labels)) return r.labels.length ? r.labels.map((l) => h('span', { class: 'pill', 'data-label': l.label }, l.label, h('small', { text: conf2(l.confidence) }))) : h('span', { class: 'muted', text: 'no label above the threshold' });
      if (r.label) return h('span', { class: 'pill', 'data-label': r.label, text: r.label });
      if (!completed) return h('span', { class: 'muted', text: 'not classified yet' });
      return h('span', { class: 'muted', text: multi ? 'no label above the threshold' : '—' });
    };
    const c = r.confidence != null ? r.confidence : (Array.isArray(r.labels) && r.labels[0] ? r.labels[0].confidence : null);
    const conf = c == null ? h('span', { class: 'muted', text: '—' })
      : h('div', { class: 'conf' }, h('div', { class: 'meter' }, h('i', { style: `width:${c * 100}%` })), h('span', { class: 'c', text: conf2(c) }));
    const text = typeof r.text === 'string' && r.text !== '' ? h('span', { class: 't', title: r.text, text: r.text }) : h('span', { class: 'missing', text: '(no text)' });
    return h('tr', { 'data-index': String(r.index), 'data-confidence': c == null ? '' : String(c) },
      h('td', { class: 'num muted line', 'data-label': 'Line', text: num(r.index + 1) }),
      h('td', { class: 'mono rid', 'data-label': 'id', text: r.id === undefined || r.id === null ? '' : typeof r.id === 'string' ? r.id : JSON.stringify(r.id) }),
      h('td', { class: 'text', 'data-label': 'Text' }, text),
      h('td', { class: 'res', 'data-label': 'Result' }, result()),
      h('td', { 'data-label': 'Confidence' }, conf),
      completed && !r.error ? h('td', { class: 'rv-cell', 'data-label': 'Review' }, reviewControl(id, Object.assign({}, r, { review: reviews.get(r.index) || null }),
        { labels, multi }, (rv) => {
          if (rv) reviews.set(r.index, rv); else reviews.delete(r.index);
          onReviewed(rv);
        })) : completed ? h('td', { class: 'rv-cell' }) : null);
  }

  return {
    el,
    // refresh reloads the page shown (a review saved elsewhere on the page shows here too).
    refresh() { if (completed) page(offset); },
    // update follows the job: the label list from its spec, the filters once completed.
    update(j) {
      const isDone = j.status === 'completed';
      multi = specOf(j).mode === 'multi';
      const ls = specOf(j).labels || [];
      if (JSON.stringify(ls) !== JSON.stringify(labels)) {
        labels = ls;
        const keep = labelSel.value;
        replace(labelSel, h('option', { value: '', text: 'All labels' }), labels.map((l) => h('option', { value: l, text: l })));
        labelSel.value = labels.includes(keep) ? keep : '';
      }
      if (isDone === completed) return;
      completed = isDone;
      labelSel.disabled = !isDone;
      maxConf.disabled = !isDone;
      apply.disabled = !isDone;
      reset.disabled = !isDone;
      table.querySelector('th.rv-col').hidden = !isDone;
      note.textContent = isDone
        ? 'Every line of the input with its answer. Filter by label, or by confidence to find the lines to check; correct a line by picking its right label, or confirm its answer with ✓.'
        : 'The input lines. Answers and the filters appear when the job has completed.';
      back = [];
      page(0);
    },
  };
}
