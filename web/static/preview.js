// A preview's report: distribution, keywords, confident and borderline texts, warnings.

import { h } from './dom.js';
import { conf2, num, pct } from './format.js';
import { swatch } from './jobutil.js';

// The API's warnings carry their own advice; the console names each kind.
const WARNING_TITLES = {
  label_unused: 'Unused label',
  label_rare: 'Rare label',
  label_dominant: 'Dominant label',
  labels_similar: 'Labels alike',
  low_confidence: 'Low confidence',
};
const capital = (t) => (t ? t[0].toUpperCase() + t.slice(1) : t);


// previewView draws a preview answer (POST /v1/batch/{id}/preview or /v1/preview).
// order: the spec's labels (cards keep that order and colour); prev: the previous answer,
// whose counts give the "since the last preview" deltas; onMove(text, label): the one-click
// fix, or null where texts cannot be moved.
// unit names what the sample is made of: a job's input lines, or the playground's texts.
export function previewView(res, order, prev, onMove, unit = 'line') {
  const units = (k, adj = '') => `${num(k)} ${adj}${unit}${k === 1 ? '' : 's'}`;
  const byLabel = new Map((res.labels || []).map((l) => [l.label, l]));
  const labels = [...order.filter((l) => byLabel.has(l)), ...[...byLabel.keys()].filter((l) => !order.includes(l))];
  const colour = new Map(labels.map((l) => [l, swatch(order.includes(l) ? order.indexOf(l) : labels.indexOf(l))]));
  const prevCount = prev ? new Map((prev.labels || []).map((l) => [l.label, l.count])) : null;
  const n = res.sample_lines || 0;
  const totalCount = labels.reduce((a, l) => a + (byLabel.get(l).count || 0), 0);

  const warnings = (res.warnings || []).map((w) => h('div', { class: 'banner warn pv-warning', role: 'note', 'data-code': w.code },
    h('strong', { text: `${WARNING_TITLES[w.code] || w.code}: ` }), capital(w.message),
    (w.labels || []).length ? h('span', { class: 'pv-wl' }, w.labels.map((l) => h('span', { class: 'pill', text: l }))) : null));

  // The distribution bar: each label's part of all the labels given (in multi mode
  // a line may count for several labels, so the parts are of the labels, not the lines).
  const dist = h('div', { class: 'pv-dist', id: 'pv-dist', role: 'img',
    'aria-label': `Label distribution over ${units(n, unit === 'line' ? 'sample ' : '')}: ${labels.map((l) => `${l} ${byLabel.get(l).count}`).join(', ')}` },
  labels.filter((l) => byLabel.get(l).count > 0).map((l) => h('span', { class: `pv-seg ${colour.get(l)}`, 'data-label': l,
    style: `width:${((byLabel.get(l).count / (totalCount || 1)) * 100).toFixed(2)}%`, title: `${l}: ${units(byLabel.get(l).count)} (${pct(byLabel.get(l).share || 0)})` })));
  const legend = h('div', { class: 'pv-legend' }, labels.map((l) => h('span', null, h('i', { class: `sw ${colour.get(l)}` }), l)));

  let changes = [];
  const delta = (l) => {
    if (!prevCount) return null;
    const d = byLabel.get(l).count - (prevCount.get(l) || 0);
    if (d) changes.push(`${l} ${d > 0 ? '+' : '−'}${Math.abs(d)}`);
    return d ? h('span', { class: `delta ${d > 0 ? 'up' : 'down'}`, title: 'since the last preview', text: `${d > 0 ? '+' : '−'}${Math.abs(d)}` }) : null;
  };

  const moveControls = (it, current, runnerUp) => {
    if (!onMove) return null;
    const others = labels.filter((l) => l !== current);
    const out = [];
    if (runnerUp && runnerUp !== current && others.includes(runnerUp)) {
      out.push(h('button', { type: 'button', class: 'btn small move-runner', 'data-to': runnerUp,
        'aria-label': `Move ${unit} ${it.index + 1} to ${runnerUp} (it becomes an example)`, text: `→ ${runnerUp}`,
        onclick: () => onMove(it.text, runnerUp, it.index) }));
    }
    const sel = h('select', { class: 'move', 'aria-label': `Move ${unit} ${it.index + 1} to another label (it becomes an example)` },
      h('option', { value: '', text: 'Move to…' }), others.map((l) => h('option', { value: l, text: l })));
    sel.addEventListener('change', () => { if (sel.value) onMove(it.text, sel.value, it.index); });
    out.push(sel);
    return h('div', { class: 'pv-move' }, out);
  };
  const textItem = (it, current, kind) => h('li', { class: 'pv-text', 'data-index': String(it.index), 'data-kind': kind },
    h('div', { class: 'pv-t' }, h('span', { class: 'pv-line', text: `${unit} ${it.index + 1}` }), h('q', { title: it.text, text: it.text })),
    h('div', { class: 'pv-meta' },
      h('span', { class: 'pv-conf', text: conf2(it.confidence) }),
      kind === 'borderline' && it.runner_up ? h('span', { class: 'muted', text: ` runner-up ${it.runner_up}` }) : null,
      moveControls(it, current, kind === 'borderline' ? it.runner_up : null)));

  const cards = labels.map((l) => {
    const x = byLabel.get(l);
    const ex = x.examples || [], bl = x.borderline || [];
    return h('section', { class: 'pv-label', 'data-label': l, 'data-count': String(x.count), 'data-mean': String(x.mean_confidence), 'aria-label': `Label ${l}` },
      h('header', null, h('i', { class: `sw ${colour.get(l)}`, 'aria-hidden': 'true' }), h('h3', { text: l }),
        h('span', { class: 'pv-stat' }, h('b', { class: 'pv-count', text: num(x.count) }), ` ${unit}${x.count === 1 ? '' : 's'} · ${pct(x.share || 0)} · mean confidence ${conf2(x.mean_confidence)}`), delta(l)),
      h('div', { class: 'pv-bar' }, h('i', { class: colour.get(l), style: `width:${Math.min(100, (x.share || 0) * 100).toFixed(1)}%` })),
      (x.keywords || []).length ? h('div', { class: 'pv-kw', 'aria-label': 'Keywords' }, h('span', { class: 'k', text: 'Keywords' }), x.keywords.map((w) => h('span', { class: 'chip', text: w }))) : null,
      ex.length ? [h('h4', { text: 'Most confident' }), h('ul', { class: 'pv-texts pv-examples' }, ex.map((it) => textItem(it, l, 'example')))] : null,
      bl.length ? [h('h4', { text: 'Borderline' }), h('ul', { class: 'pv-texts pv-borderline' }, bl.map((it) => textItem(it, l, 'borderline')))] : null,
      !ex.length && !bl.length ? h('p', { class: 'muted', text: `No ${unit === 'line' ? 'sample line' : unit} got this label.` }) : null);
  });
  const summary = h('p', { class: 'pv-summary' }, h('b', { id: 'pv-sample', text: num(n) }), ` ${unit === 'line' ? 'sample ' : ''}${unit}${n === 1 ? '' : 's'} · ${labels.length} labels`,
    prevCount ? h('span', { class: 'pv-changes', id: 'pv-changes', text: changes.length ? ` · since the last preview: ${changes.join(', ')}` : ' · no change in the counts since the last preview' }) : null);
  return h('div', { class: 'preview', id: 'preview', 'data-sample': String(n) }, summary, warnings, dist, legend, h('div', { class: 'pv-labels' }, cards));
}
