// Reviewing a completed job (issue 26): the correct/confirm control of a line, the two
// review queues, the accuracy estimate with its interval, the export of the corrections,
// and what a rerun with corrections changed.

import { h, replace } from './dom.js';
import { conf2, num, pct } from './format.js';
import { api, apiKey, enc } from './api.js';
import { live, toast } from './page.js';

const labelName = (x) => (typeof x === 'string' ? x : x.label);

// answerOf is a line's answer as a list of labels (single mode: one or none).
export function answerOf(line, multi) {
  if (multi) return (line.labels || []).map(labelName);
  return line.label ? [line.label] : [];
}

// reviewState names a review for display: confirmed (the answer was right) or corrected.
export function reviewState(rv) {
  if (!rv) return '';
  return rv.correct ? 'confirmed' : 'corrected';
}

// reviewControl is one line's review: a label select (multi mode: checkboxes and Save),
// a confirm button (the job's answer is right) and, once reviewed, a remove button.
// onSaved(review or null) hears every change the API accepted.
export function reviewControl(id, line, ctx, onSaved) {
  const { labels, multi } = ctx;
  const answer = answerOf(line, multi);
  let rv = line.review || null;
  const el = h('div', { class: 'rv', 'data-index': String(line.index) });
  const err = h('span', { class: 'err rv-err', role: 'alert' });

  async function put(body) {
    err.textContent = '';
    el.classList.add('busy');
    try {
      rv = await api('PUT', `/v1/batch/${id}/lines/${line.index}/review`, body);
      onSaved(rv);
      toast(rv.correct ? `Line ${line.index + 1} confirmed` : `Line ${line.index + 1} corrected`);
    } catch (e) {
      err.textContent = e.message;
    } finally {
      el.classList.remove('busy');
      draw();
    }
  }
  async function remove() {
    err.textContent = '';
    try {
      await api('DELETE', `/v1/batch/${id}/lines/${line.index}/review`);
      rv = null;
      onSaved(null);
      toast(`Review of line ${line.index + 1} removed`);
    } catch (e) {
      err.textContent = e.message;
    }
    draw();
  }

  function draw() {
    const truth = rv ? (multi ? rv.labels || [] : rv.label ? [rv.label] : []) : answer;
    const state = reviewState(rv);
    el.dataset.state = state;
    const name = `Line ${line.index + 1}`;
    let pick;
    if (multi) {
      const boxes = labels.map((l) => h('label', { class: 'rv-box' },
        h('input', { type: 'checkbox', class: 'rv-check', value: l, checked: truth.includes(l) }), h('span', { text: l })));
      pick = h('fieldset', { class: 'rv-multi', 'aria-label': `${name}: the right labels` }, boxes,
        h('button', { type: 'button', class: 'btn small', 'data-act': 'save', text: 'Save', onclick: () => put({ labels: [...el.querySelectorAll('.rv-check:checked')].map((c) => c.value) }) }));
    } else {
      pick = h('select', { class: 'rv-label', 'aria-label': `${name}: the right label`, onchange: (e) => put({ label: e.target.value }) },
        truth.length ? null : h('option', { value: '', text: '—', selected: true, disabled: true }),
        labels.map((l) => h('option', { value: l, text: l, selected: truth[0] === l })));
    }
    replace(el, pick,
      h('button', { type: 'button', class: 'btn small rv-ok', title: 'The answer is right', 'aria-label': `${name}: confirm the answer`, disabled: rv && rv.ok, text: '✓', onclick: () => put({ ok: true }) }),
      rv ? h('button', { type: 'button', class: 'btn small ghost rv-del', title: 'Remove this review', 'aria-label': `${name}: remove the review`, text: '×', onclick: remove }) : null,
      state ? h('span', { class: `rv-state ${state}`, text: state }) : null,
      err);
  }
  draw();
  return el;
}

// loadReviews reads every review of a job (paged), as a map from line index to review.
export async function loadReviews(id) {
  const out = new Map();
  for (let offset = 0; ;) {
    const r = await api('GET', `/v1/batch/${id}/reviews?offset=${offset}&limit=100`);
    for (const rv of r.data || []) out.set(rv.index, rv);
    offset += (r.data || []).length;
    if (!r.has_more || !(r.data || []).length) return out;
  }
}

// reviewQueues is the "Review" card: the worst lines first, or the audit sample, each line
// with its text, answer and the review control.
export function reviewQueues(id, my, ctx, onChange) {
  let kind = 'worst';
  const list = h('ol', { class: 'rq-list', id: 'rq-list' });
  const about = h('p', { class: 'caption', id: 'rq-about', style: 'margin-top:0' });
  const tab = (k, text) => h('button', { type: 'button', class: 'btn small', id: `rq-${k}`, role: 'tab', text, onclick: () => { kind = k; load(); } });
  const tabs = h('div', { class: 'actions rq-tabs', role: 'tablist' }, tab('worst', 'Fix the worst first'), tab('audit', 'Audit sample'));
  const el = h('section', { class: 'card', id: 'review', 'aria-labelledby': 'h-review' },
    h('div', { class: 'save-head' }, h('h2', { id: 'h-review', text: 'Review' }), tabs), about, list);

  async function load() {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.id === `rq-${kind}`));
    const asked = kind;
    el.classList.add('busy');
    let q;
    try {
      q = await api('GET', `/v1/batch/${id}/review-queue?kind=${kind}&limit=20`);
    } catch (e) {
      if (!live(my) || asked !== kind) return;
      el.classList.remove('busy');
      replace(list, h('li', { class: 'err', text: `Could not load the queue: ${e.message}` }));
      return;
    }
    if (!live(my) || asked !== kind) return;
    el.classList.remove('busy');
    list.dataset.kind = kind;
    about.textContent = kind === 'audit'
      // A seed past 2^53 does not survive JSON.parse exactly: then it is not shown at all.
      ? `A uniform random sample of the job's lines, drawn with a seed fixed for this job${Number.isSafeInteger(q.seed) ? ` (seed ${q.seed})` : ''}, in sample order. Reviewing these lines, right or wrong, estimates the job's accuracy without bias: review them in order and skip none.`
      : 'Lines not reviewed yet, least confident first and where the fit\'s readings disagree, spread over the labels. Fixing these improves a rerun the most; they say nothing about accuracy (use the audit sample for that).';
    const items = q.data || [];
    replace(list, items.length ? items.map((it) => h('li', { class: 'rq-item', 'data-index': String(it.index) },
      h('div', { class: 'rq-text' }, h('span', { class: 'muted line', text: `Line ${num(it.index + 1)}` }), h('q', { title: it.text, text: it.text })),
      h('div', { class: 'rq-answer' }, 'Answer: ', answerOf(it, ctx.multi).length
        ? answerOf(it, ctx.multi).map((l) => h('span', { class: 'pill', text: l }))
        : h('span', { class: 'muted', text: 'none' }), it.confidence != null ? h('span', { class: 'muted', text: ` · confidence ${conf2(it.confidence)}` }) : null),
      reviewControl(id, it, ctx, onChange))) : h('li', { class: 'muted', text: kind === 'worst' ? 'Every line in this queue has been reviewed.' : 'The audit sample is empty.' }));
  }
  return { el, load };
}

// accuracyView shows job.review: counts, the accuracy estimate with its 95 % interval and
// how many more audit lines would halve it, per-label precision, and the export.
export function accuracyView(id, job) {
  const rv = job.review;
  const el = h('section', { class: 'card', id: 'accuracy', 'aria-labelledby': 'h-accuracy' }, h('h2', { id: 'h-accuracy', text: 'Accuracy' }));
  if (!rv) {
    el.append(h('p', { class: 'muted', id: 'acc-none', text: 'No line reviewed yet. Review the audit sample below: from 30 reviewed audit lines on, this card estimates the job\'s accuracy.' }));
    return el;
  }
  el.append(h('p', { id: 'acc-counts' }, `${num(rv.reviewed)} lines reviewed, ${num(rv.audited)} of them from the audit sample.`));
  const a = rv.accuracy;
  if (a) {
    el.append(h('div', { class: 'acc', id: 'acc-estimate' },
      h('span', { class: 'acc-v', text: pct(a.estimate) }),
      h('span', { class: 'acc-i', text: `95% interval ${pct(a.low)}–${pct(a.high)}, from ${num(a.audited)} audit lines` })),
    rv.audit_to_halve != null ? h('p', { class: 'caption', id: 'acc-halve', text: `${num(rv.audit_to_halve)} more audit lines would halve the interval.` }) : null);
  } else {
    el.append(h('p', { class: 'muted', id: 'acc-wait', text: `The estimate appears at 30 reviewed audit lines: ${num(Math.max(0, 30 - rv.audited))} to go.` }));
  }
  const per = Object.entries(rv.per_label || {});
  if (per.length) {
    el.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'acc-per-label' },
      h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Answered label' }), h('th', { scope: 'col', class: 'num', text: 'Reviewed' }), h('th', { scope: 'col', class: 'num', text: 'Precision' }))),
      h('tbody', null, per.map(([l, p]) => h('tr', { 'data-label': l }, h('td', null, h('span', { class: 'pill', text: l })),
        h('td', { class: 'num', text: num(p.reviewed) }), h('td', { class: 'num', text: p.precision == null ? '—' : pct(p.precision) })))))),
    h('p', { class: 'caption', text: 'Precision: of the reviewed lines the job gave a label, the share where the review agrees. Lines from both queues count, so it leans to the hard lines.' }));
  }
  const note = h('span', { class: 'muted', id: 'export-note', role: 'status' });
  const link = h('a', { id: 'export-link', class: 'btn small', href: `/v1/batch/${enc(id)}/reviews?format=ndjson`, download: `${id}-reviews.ndjson`, text: 'Export corrections (NDJSON)',
    // The API wants the key in a header, which a plain link cannot send: fetch, then save.
    onclick: async (e) => {
      if (link.dataset.ready) return;
      e.preventDefault();
      try {
        const res = await fetch(`/v1/batch/${enc(id)}/reviews?format=ndjson`, { headers: { Authorization: `Bearer ${apiKey()}` } });
        if (!res.ok) throw new Error(`the export answered ${res.status}`);
        const text = await res.text();
        const n = text.split('\n').filter((l) => l.trim()).length;
        link.href = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
        link.dataset.ready = '1';
        note.textContent = `${num(n)} labelled lines, the format classer-batch eval reads.`;
        link.click();
      } catch (e2) {
        note.textContent = `Export failed: ${e2.message}`;
      }
    } });
  el.append(h('div', { class: 'actions', style: 'margin-top:12px' }, link, note));
  return el;
}

// changesView: on a rerun's page, what moved since the job it reran, and the accuracy on
// the old job's audited lines before and after.
export function changesView(job, my) {
  const el = h('section', { class: 'card', id: 'changes', 'aria-labelledby': 'h-changes' },
    h('h2', { id: 'h-changes', text: 'What changed' }),
    h('p', null, 'A rerun of ', h('a', { href: `#/job/${job.rerun_of}`, id: 'rerun-of', class: 'mono', text: job.rerun_of }),
      ' with its corrections added as examples.'));
  const body = h('div', { id: 'changes-body' });
  el.append(body);
  if (job.status !== 'completed') {
    body.append(h('p', { class: 'muted', text: 'The changes appear when this job has completed.' }));
    return el;
  }
  api('GET', `/v1/batch/${job.job_id}/changes`).then((c) => {
    if (!live(my)) return;
    const moved = c.moved_by_label || [];
    replace(body,
      h('p', { id: 'changes-moved' }, h('b', { text: num(c.moved) }), ` line${c.moved === 1 ? '' : 's'} changed label.`),
      moved.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'changes-table' },
        h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'From' }), h('th', { scope: 'col', text: 'To' }), h('th', { scope: 'col', class: 'num', text: 'Lines' }))),
        h('tbody', null, moved.map((m) => h('tr', null, h('td', null, m.from ? h('span', { class: 'pill', text: m.from }) : h('span', { class: 'muted', text: 'none' })),
          h('td', null, m.to ? h('span', { class: 'pill', text: m.to }) : h('span', { class: 'muted', text: 'none' })), h('td', { class: 'num', text: num(m.lines) })))))) : null,
      c.audit
        ? h('p', { id: 'changes-audit' }, `On the ${num(c.audit.lines)} audited lines of the first job: accuracy `, h('b', { text: pct(c.audit.before) }), ' before, ', h('b', { text: pct(c.audit.after) }), ' after.')
        : h('p', { class: 'muted', id: 'changes-audit', text: 'The first job had no reviewed audit lines to compare on.' }),
      h('p', { class: 'caption', text: 'Audit lines are kept out of the examples a rerun adds, so the rerun has not seen the lines it is scored on.' }));
  }).catch((e) => {
    if (!live(my)) return;
    replace(body, h('p', { class: 'muted', text: e.status === 409 ? 'The changes appear when both jobs have completed.' : `Could not load the changes: ${e.message}` }));
  });
  return el;
}
