// The playground (#/playground): preview pasted texts with a spec or a saved classifier.

import { add, h, replace, seg } from './dom.js';
import { num } from './format.js';
import { api, enc } from './api.js';
import { current, focusHeading, live, setTitle, toast, view } from './page.js';
import { labelEditor, rowsFromSpec } from './spec.js';
import { previewView } from './preview.js';

export const pgState = { texts: 'I was charged twice for my subscription this month\nThe app crashes every time I open settings\nCan I get a quote for 50 seats on the enterprise plan?', labels: [
  { label: 'billing', description: 'invoices, charges, refunds and payments' },
  { label: 'technical', description: 'bugs, crashes, errors and outages' },
  { label: 'sales', description: 'pricing, quotes, plans and upgrades' }], mode: 'classify', threshold: '0.5', textType: '', classifier: '' };
export function renderPlayground(params) {
  const my = current();
  setTitle('Playground');
  const editor = labelEditor(pgState.labels, 'pg');
  const texts = h('textarea', { id: 'pg-texts', rows: '8', 'aria-describedby': 'pg-err-texts' });
  texts.value = pgState.texts;
  let mode = pgState.mode;
  let lastPreview = null;
  const threshold = h('input', { type: 'number', id: 'pg-threshold', class: 'inline-num', min: '0', max: '1', step: '0.05', value: pgState.threshold });
  const thField = h('div', { class: 'field', hidden: mode !== 'tag' }, h('label', { for: 'pg-threshold', text: 'Threshold' }), threshold, h('div', { class: 'err', id: 'pg-err-threshold' }));
  const textType = h('input', { type: 'text', id: 'pg-text_type', value: pgState.textType, placeholder: 'e.g. customer support tickets' });
  const out = h('div', { class: 'pg-out', id: 'pg-out', 'aria-live': 'polite' },
    h('p', { class: 'muted', text: 'Results appear here: each text with its label confidences, or a preview of what the labels do over all the texts.' }));
  const outHead = h('h2', { id: 'h-pg-out', text: 'Results' });
  const general = h('div', { class: 'banner bad', role: 'alert', hidden: true });
  const textsErr = h('div', { class: 'err', id: 'pg-err-texts', role: 'alert' });
  const run = h('button', { class: 'btn primary', type: 'submit', id: 'pg-run', text: mode === 'tag' ? 'Tag' : 'Classify' });
  const previewBtn = h('button', { class: 'btn', type: 'button', id: 'pg-preview', text: 'Preview', title: 'Distribution, keywords, confident and borderline texts over all the texts (POST /v1/preview)', onclick: () => preview() });
  const useBtn = h('button', { class: 'btn ghost', type: 'button', id: 'pg-use', text: 'Use these labels in a new job', onclick: () => { remember(); location.hash = '#/new?from=playground'; } });

  // Saved classifiers: pick one to load its labels, descriptions and examples.
  const pick = h('select', { id: 'pg-classifier' }, h('option', { value: '', text: 'Your own labels' }));
  const pickNote = h('div', { class: 'hint', id: 'pg-classifier-note', style: 'margin-top:6px' });
  const pickField = h('div', { class: 'field', hidden: true }, h('label', { for: 'pg-classifier', text: 'Start from a saved classifier' }), pick, pickNote);
  let classifiers = [];
  async function load(ref) {
    pickNote.textContent = '';
    if (!ref) return;
    let c;
    try { c = await api('GET', `/v1/classifiers/${enc(ref)}`); } catch (e) { pickNote.textContent = `Could not load ${ref}: ${e.message}`; return; }
    if (!live(my)) return;
    editor.set(rowsFromSpec(c));
    if (c.text_type) textType.value = c.text_type;
    if (c.mode) setMode(c.mode === 'multi' ? 'tag' : 'classify');
    if (c.threshold != null) threshold.value = String(c.threshold);
    pgState.classifier = c.ref;
    pickNote.textContent = `Loaded ${c.ref}: ${c.labels.length} labels. Edits stay here; save them as a new version from a job.`;
  }
  pick.addEventListener('change', () => load(pick.value));
  api('GET', '/v1/classifiers').then((res) => {
    if (!live(my)) return;
    classifiers = (res && res.data) || [];
    if (!classifiers.length) return;
    add(pick, classifiers.map((c) => h('option', { value: c.ref, text: `${c.name} (${c.version})` })));
    pickField.hidden = false;
    const want = params.get('classifier');
    if (want) {
      if (!classifiers.some((c) => c.ref === want)) add(pick, [h('option', { value: want, text: want })]);
      pick.value = want;
      load(want);
    } else if (pgState.classifier && classifiers.some((c) => c.ref === pgState.classifier)) pick.value = pgState.classifier;
  }).catch(() => {});

  const modeSeg = seg('pg-mode', [['classify', 'Classify (one label)'], ['tag', 'Tag (multi-label)']], mode, (v) => setMode(v), 'pg-mode-lbl');
  function setMode(v) {
    mode = v;
    thField.hidden = v !== 'tag';
    run.textContent = v === 'tag' ? 'Tag' : 'Classify';
    for (const r of modeSeg.querySelectorAll('input')) r.checked = r.value === v;
  }
  const form = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); go(); } },
    pickField,
    h('div', { class: 'field' }, h('label', { for: 'pg-texts' }, 'Texts ', h('span', { class: 'hint', text: 'one per line, up to 1,000' })), texts, textsErr),
    h('div', { class: 'field' }, h('span', { class: 'lbl', text: 'Labels' }), editor.el),
    h('div', { class: 'row', style: 'margin-bottom:16px' },
      h('div', { class: 'field', style: 'flex:0 0 auto' }, h('span', { class: 'lbl', id: 'pg-mode-lbl', text: 'Mode' }), modeSeg),
      thField,
      h('div', { class: 'field' }, h('label', { for: 'pg-text_type' }, 'What are the texts? ', h('span', { class: 'hint', text: 'optional' })), textType)),
    general,
    h('div', { class: 'actions' }, run, previewBtn, h('span', { class: 'hint' }, h('kbd', { class: 'kbd', text: 'Ctrl' }), ' + ', h('kbd', { class: 'kbd', text: 'Enter' }))),
    h('div', { class: 'actions', style: 'margin-top:10px' }, useBtn));
  form.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); go(); } });
  view.append(
    h('div', { class: 'head' }, h('div', null, h('h1', { text: 'Playground' }),
      h('p', null, 'Try labels and descriptions on a few texts before running a job. Classify and Tag use ', h('code', { text: '/v1/classify/batch' }), ' and ', h('code', { text: '/v1/tag/batch' }), '; Preview uses ', h('code', { text: '/v1/preview' }), '.'))),
    h('div', { class: 'pg' }, h('section', { class: 'card', 'aria-label': 'Input' }, form),
      h('section', { class: 'card', 'aria-labelledby': 'h-pg-out' }, outHead, out)));
  focusHeading();

  function remember() {
    pgState.texts = texts.value; pgState.mode = mode; pgState.threshold = threshold.value; pgState.textType = textType.value.trim();
    const spec = editor.getSpec();
    pgState.labels = spec.labels.map((l) => ({ label: l, description: (spec.descriptions || {})[l], examples: (spec.examples || {})[l] }));
    return spec;
  }
  // request checks the form and returns the body shared by every button, or null.
  function request() {
    general.hidden = true;
    textsErr.textContent = '';
    texts.classList.remove('invalid');
    threshold.classList.remove('invalid');
    document.getElementById('pg-err-threshold').textContent = '';
    editor.clear();
    const list = texts.value.split('\n').map((t) => t.trim()).filter(Boolean);
    const spec = remember();
    if (!list.length) { textsErr.textContent = 'Type at least one text.'; texts.classList.add('invalid'); texts.focus(); return null; }
    if (!spec.labels.length) { editor.showError({ field: 'labels', message: 'Add at least one label.' }); return null; }
    const body = Object.assign({ texts: list }, spec);
    if (textType.value.trim()) body.text_type = textType.value.trim();
    if (mode === 'tag' && threshold.value.trim() !== '') body.threshold = Number(threshold.value);
    return body;
  }
  function showErr(e) {
    if (e.field === 'texts') { textsErr.textContent = e.message; texts.classList.add('invalid'); texts.focus(); }
    else if (e.field === 'threshold') { document.getElementById('pg-err-threshold').textContent = e.message; threshold.classList.add('invalid'); threshold.focus(); }
    else if (!editor.showError(e)) { general.textContent = e.message; general.hidden = false; }
  }
  async function busyWith(btn, label, fn) {
    const was = btn.textContent;
    run.disabled = true; previewBtn.disabled = true;
    btn.textContent = label;
    try { await fn(); } catch (e) { if (live(my)) showErr(e); } finally {
      if (live(my)) { run.disabled = false; previewBtn.disabled = false; btn.textContent = btn === run ? (mode === 'tag' ? 'Tag' : 'Classify') : was; }
    }
  }

  async function go() {
    const body = request();
    if (!body) return;
    await busyWith(run, 'Running…', async () => {
      const res = await api('POST', mode === 'tag' ? '/v1/tag/batch' : '/v1/classify/batch', body);
      if (!live(my)) return;
      lastPreview = null;
      drawOut(body.texts, res, body.labels);
    });
  }

  async function preview() {
    const body = request();
    if (!body) return;
    if (mode === 'tag') body.mode = 'multi';
    await busyWith(previewBtn, 'Previewing…', async () => {
      const res = await api('POST', '/v1/preview', body);
      if (!live(my)) return;
      outHead.textContent = 'Preview';
      replace(out, previewView(res, body.labels, lastPreview, (text, label, index) => {
        if (editor.moveExample(text, label)) { toast(`Text ${index + 1} is now an example of ${label}`); preview(); }
      }, 'text'));
      lastPreview = res;
    });
  }

  function drawOut(list, res, labels) {
    outHead.textContent = 'Results';
    const items = res.results.map((r, i) => {
      let bars;
      if (r.error) bars = h('div', { class: 'pill err', text: r.error });
      else {
        const scores = Array.isArray(r.labels) ? r.labels : [{ label: r.label, confidence: r.confidence }];
        bars = scores.length ? h('div', { class: 'hbars' }, scores.map((l) =>
          h('div', { class: 'hbar pg-bar', 'aria-label': `${l.label}: ${l.confidence.toFixed(2)}` },
            h('div', { class: 'name', title: l.label, text: l.label }),
            h('div', { class: 'track' }, h('div', { class: 'fill', style: `width:${Math.max(0, Math.min(1, l.confidence)) * 100}%` })),
            h('div', { class: 'val' }, h('b', { text: l.confidence.toFixed(2) }))))) : h('p', { class: 'muted', style: 'margin:0', text: 'No label at or above the threshold.' });
      }
      return h('div', { class: 'pg-item' }, h('div', { class: 'q', text: list[i] }), bars,
        h('div', { class: 'meta', text: r.error ? '' : `${num(r.tokens)} tokens${r.cached ? ' · cached' : ''}` }));
    });
    replace(out, items, h('p', { class: 'caption', text: `${num(res.total_tokens)} tokens · ${res.latency_ms} ms · ${mode === 'tag' ? 'labels at or above the threshold' : 'the best label of ' + labels.length}` }));
  }
}
