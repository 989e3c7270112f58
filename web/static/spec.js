// Editing a spec: the label editor and the options (mode, threshold, text type, model),
// used by the new-job form, a pending job's page and the playground.

import { h, nextId, replace, seg } from './dom.js';
import { api } from './api.js';

// labelEditor edits the labels with their descriptions and examples. getSpec() returns
// {labels, descriptions, examples} from the non-empty rows; showError(err) marks the rows
// an API error is about; onChange is called on every edit.
export function labelEditor(initial, idp, onChange) {
  const list = h('div', { class: 'labels', role: 'list' });
  const err = h('div', { class: 'err', id: `${idp}-err-labels`, role: 'alert' });
  let rowsEls = [];
  let expansions = {};
  const changed = () => { if (onChange) onChange(); };
  function addRow(v = {}) {
    const n = rowsEls.length + 1;
    const ids = { l: nextId(`${idp}-label`), d: nextId(`${idp}-desc`), e: nextId(`${idp}-ex`) };
    const name = h('input', { type: 'text', id: ids.l, class: 'label-name', value: v.label || '', placeholder: 'e.g. billing', maxlength: '100', autocomplete: 'off' });
    const desc = h('input', { type: 'text', id: ids.d, class: 'label-desc', value: v.description || '', placeholder: 'What belongs here (optional)' });
    const ex = h('textarea', { id: ids.e, class: 'label-ex', rows: '1', placeholder: 'One example per line (optional)' });
    const exp = h('div', { class: 'label-exp', hidden: true });
    ex.value = (v.examples || []).join('\n');
    // Grow with the examples, up to five lines; then it scrolls.
    // (CSS field-sizing does it where supported.)
    const fit = () => { ex.style.height = ''; if (ex.scrollHeight > ex.clientHeight) ex.style.height = `${Math.min(ex.scrollHeight + 2, 132)}px`; };
    if (!(window.CSS && CSS.supports('field-sizing', 'content'))) {
      ex.addEventListener('input', fit);
      requestAnimationFrame(fit);
    }
    const r = h('div', { class: 'label-row', role: 'listitem' },
      h('div', { class: 'num', 'aria-hidden': 'true', text: String(n) }),
      h('div', null, h('label', { for: ids.l, text: 'Label' }), name),
      h('div', { class: 'desc' }, h('label', { for: ids.d, text: 'Description' }), desc, exp),
      h('div', { class: 'ex' }, h('label', { for: ids.e, text: 'Examples' }), ex),
      h('button', { type: 'button', class: 'icon-btn remove-label', 'aria-label': 'Remove label', title: 'Remove label', text: '×', style: 'margin-top:20px',
        onclick: () => {
          if (rowsEls.length === 1) { name.value = ''; desc.value = ''; ex.value = ''; name.focus(); changed(); return; }
          const i = rowsEls.indexOf(r);
          rowsEls.splice(i, 1);
          r.remove();
          renumber();
          (rowsEls[Math.min(i, rowsEls.length - 1)].querySelector('.label-name')).focus();
          changed();
        } }));
    name.addEventListener('input', () => { clear(); showExp(r); });
    desc.addEventListener('input', () => showExp(r));
    r._name = name; r._desc = desc; r._ex = ex; r._exp = exp; r._fit = fit;
    rowsEls.push(r);
    list.append(r);
    showExp(r);
    return r;
  }
  // A label without a description is read through the glossary; say how, so that a
  // misreading is visible before it costs a run.
  function showExp(r) {
    const words = expansions[r._name.value.trim()];
    const on = !r._desc.value.trim() && Array.isArray(words) && words.length > 0;
    r._exp.hidden = !on;
    if (on) replace(r._exp, 'Read as: ', expWords(words), '. A description replaces this.');
  }
  list.addEventListener('input', changed);
  function renumber() { rowsEls.forEach((r, i) => { r.querySelector('.num').textContent = String(i + 1); }); }
  function clear() {
    err.textContent = '';
    rowsEls.forEach((r) => { r.classList.remove('invalid-row'); r._name.classList.remove('invalid'); });
  }
  function set(rows) {
    rowsEls = [];
    list.replaceChildren();
    (rows.length ? rows : [{}, {}]).forEach(addRow);
    clear();
  }
  set(initial);
  const addBtn = h('button', { type: 'button', class: 'btn small', id: `${idp}-add-label`, text: '+ Add label',
    onclick: () => { addRow().querySelector('.label-name').focus(); changed(); } });
  let sent = []; // row of each label sent, to map "labels[2]" back to a row
  const rowOf = (label) => rowsEls.find((r) => r._name.value.trim() === label);
  const exOf = (r) => r._ex.value.split('\n').map((x) => x.trim()).filter(Boolean);
  return {
    el: h('div', { class: 'label-editor' }, list, h('div', { class: 'label-tools' }, addBtn,
      h('span', { class: 'hint', text: 'Descriptions and examples sharpen a label; both are optional.' })), err),
    getSpec() {
      const labels = [], descriptions = {}, examples = {};
      sent = [];
      for (const r of rowsEls) {
        const l = r._name.value.trim(), d = r._desc.value.trim();
        const ex = exOf(r);
        if (!l && !d && !ex.length) continue;
        labels.push(l);
        sent.push(r);
        if (d) descriptions[l] = d;
        if (ex.length) examples[l] = ex;
      }
      const spec = { labels };
      if (Object.keys(descriptions).length) spec.descriptions = descriptions;
      if (Object.keys(examples).length) spec.examples = examples;
      return spec;
    },
    set,
    setExpansions(map) { expansions = map || {}; rowsEls.forEach(showExp); },
    // moveExample makes text an example of label and of no other label (the one-click fix
    // of a preview). It returns false when no row has that label.
    moveExample(text, label) {
      const to = rowOf(label);
      if (!to) return false;
      for (const r of rowsEls) {
        if (r === to) continue;
        const ex = exOf(r);
        if (ex.includes(text)) { r._ex.value = ex.filter((x) => x !== text).join('\n'); r._fit(); }
      }
      const ex = exOf(to);
      if (!ex.includes(text)) { to._ex.value = [...ex, text].join('\n'); to._fit(); }
      to.classList.add('flash');
      setTimeout(() => to.classList.remove('flash'), 1200);
      changed();
      return true;
    },
    // Returns true when the error was about the labels and is now shown here.
    showError(e) {
      if (!['labels', 'descriptions', 'examples'].includes(e.field)) return false;
      clear();
      err.textContent = e.message;
      let rowsHit = [];
      const idx = e.message.match(/^labels\[(\d+)\]/);
      const q = e.message.match(/"([^"]*)"/);
      if (idx && sent[+idx[1]]) rowsHit = [sent[+idx[1]]];
      else if (q) rowsHit = sent.filter((r) => r._name.value.trim() === q[1]);
      else if (e.field === 'labels' && !sent.length) rowsHit = rowsEls.slice(0, 1);
      rowsHit.forEach((r) => { r.classList.add('invalid-row'); r._name.classList.add('invalid'); });
      (rowsHit[0] ? rowsHit[0]._name : rowsEls[0]._name).focus();
      return true;
    },
    clear,
  };
}
// expWords: a label's glossary words, the first ten and how many more (all in the title).
export function expWords(words) {
  const more = words.length - 10;
  return h('span', { class: 'exp-words', title: words.join(', '), text: more > 0 ? `${words.slice(0, 10).join(', ')} and ${more} more` : words.join(', ') });
}
// rowsFromSpec turns a spec's labels, descriptions and examples into editor rows.
export function rowsFromSpec(spec) {
  const d = spec.descriptions || {}, ex = spec.examples || {};
  return (spec.labels || []).map((l) => ({ label: l, description: d[l] || '', examples: ex[l] || [] }));
}

// The configured models (GET /v1/models), asked once per key: the model picker shows
// only when there is a choice.
let modelsPromise = null;
// forgetModels drops the answer with the key that asked.
export function forgetModels() { modelsPromise = null; }
function models() {
  if (!modelsPromise) modelsPromise = api('GET', '/v1/models').then((r) => (r && r.models) || []).catch(() => []);
  return modelsPromise;
}

// specOptions: mode, threshold (multi only), text_type and the model, with their error slots.
// p prefixes the ids ('' on the new-job form, which keeps the historical ids).
export function specOptions(p, init, onChange) {
  let mode = init.mode === 'multi' ? 'multi' : 'single';
  const errs = {};
  const errEl = (f) => (errs[f] = h('div', { class: 'err', id: `${p}err-${f}`, role: 'alert' }));
  const threshold = h('input', { type: 'number', id: `${p}threshold`, class: 'inline-num', min: '0', max: '1', step: '0.05', value: init.threshold != null ? String(init.threshold) : '0.3', 'aria-describedby': `${p}err-threshold` });
  const thresholdField = h('div', { class: 'field th-field', hidden: mode !== 'multi' },
    h('label', { for: `${p}threshold` }, 'Threshold ', h('span', { class: 'hint', text: '0 to 1' })), threshold, errEl('threshold'));
  const textType = h('input', { type: 'text', id: `${p}text_type`, value: init.text_type || '', placeholder: 'e.g. customer support tickets', 'aria-describedby': `${p}err-text_type` });
  const segEl = seg(`${p}mode`, [['single', 'Single label'], ['multi', 'Multi label']], mode, (v) => { mode = v; thresholdField.hidden = v !== 'multi'; if (onChange) onChange(); }, `${p}mode-lbl`);
  [threshold, textType].forEach((x) => x.addEventListener('input', () => { if (onChange) onChange(); }));
  let model = init.model || '';
  const modelSel = h('select', { id: `${p}model`, 'aria-describedby': `${p}err-model` });
  const modelField = h('div', { class: 'field', style: 'flex:0 1 240px', hidden: true },
    h('label', { for: `${p}model`, text: 'Model' }), modelSel, errEl('model'));
  modelSel.addEventListener('change', () => { model = modelSel.value; if (onChange) onChange(); });
  function drawModels(list) {
    if (list.length < 2 && !(model && list.length && !list.some((m) => m.name === model))) { modelField.hidden = true; return; }
    const opts = list.map((m) => h('option', { value: m.name, text: `${m.name}${m.default ? ' (default)' : ''}${m.ready === false ? ' · not ready' : ''}` }));
    if (model && !list.some((m) => m.name === model)) opts.unshift(h('option', { value: model, text: `${model} (not configured)` }));
    replace(modelSel, opts);
    modelSel.value = model || (list.find((m) => m.default) || list[0]).name;
    model = modelSel.value;
    modelField.hidden = false;
  }
  models().then(drawModels);
  const el = h('div', { class: 'row' },
    h('div', { class: 'field', style: 'flex:0 0 auto' }, h('span', { class: 'lbl', id: `${p}mode-lbl`, text: 'Mode' }), segEl, errEl('mode')),
    thresholdField,
    h('div', { class: 'field' }, h('label', { for: `${p}text_type` }, 'What are the texts? ', h('span', { class: 'hint', text: 'optional context' })), textType, errEl('text_type')),
    modelField);
  const inputs = { threshold, text_type: textType, model: modelSel };
  return {
    el,
    get mode() { return mode; },
    // get returns the fields, or throws an ApiError-like object for a bad threshold.
    get() {
      const o = { mode };
      if (mode === 'multi') {
        const t = threshold.value.trim();
        if (t !== '') {
          const v = Number(t);
          if (!Number.isFinite(v)) throw Object.assign(new Error('Threshold must be a number from 0 to 1.'), { field: 'threshold' });
          o.threshold = v;
        }
      }
      o.text_type = textType.value.trim();
      if (model) o.model = model;
      return o;
    },
    set(spec) {
      if (spec.model) { model = spec.model; models().then(drawModels); }
      mode = spec.mode === 'multi' ? 'multi' : 'single';
      for (const r of el.querySelectorAll(`input[name="${p}mode"]`)) r.checked = r.value === mode;
      thresholdField.hidden = mode !== 'multi';
      if (spec.threshold != null) threshold.value = String(spec.threshold);
      textType.value = spec.text_type || '';
    },
    showError(e) {
      if (!errs[e.field]) return false;
      errs[e.field].textContent = e.message;
      const input = inputs[e.field];
      if (input) { input.classList.add('invalid'); input.focus(); }
      return true;
    },
    clear() {
      Object.values(errs).forEach((x) => { x.textContent = ''; });
      Object.values(inputs).forEach((x) => x.classList.remove('invalid'));
    },
  };
}
