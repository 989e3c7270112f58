// The new-job form (#/new): name, spec, file checks, upload with progress.

import { add, h, replace, seg } from './dom.js';
import { bytes } from './format.js';
import { api, enc } from './api.js';
import { current, focusHeading, live, setTitle, toast, view } from './page.js';
import { jobTitle, specOf } from './jobutil.js';
import { labelEditor, rowsFromSpec, specOptions } from './spec.js';
import { checkFirstLine, fileDrop, notNDJSON, pendingUploads, uploadFile, uploadProgress } from './upload.js';
import { pgState } from './playground.js';

// Prefills: ?from=<job id> (clone with edits), ?classifier=<name@vN>, ?from=playground.
export function renderNew(params) {
  const my = current();
  setTitle('New job');
  const idp = 'nj';
  const editor = labelEditor([], idp);
  const opts = specOptions('', {});
  let source = 'labels';
  let file = null;

  const fieldErr = {};
  const errEl = (f) => (fieldErr[f] = h('div', { class: 'err', id: `err-${f}`, role: 'alert' }));

  const jobName = h('input', { type: 'text', id: 'job-name', maxlength: '100', placeholder: 'e.g. Support tickets, March', autocomplete: 'off', 'aria-describedby': 'err-name' });
  const metadata = h('textarea', { id: 'metadata', rows: '2', placeholder: 'team=support\nsource=zendesk', 'aria-describedby': 'metadata-hint err-metadata' });

  // Saved classifiers: shown when the account has some.
  const pickSel = h('select', { id: 'classifier', 'aria-describedby': 'err-classifier' });
  const pickInfo = h('div', { class: 'hint', style: 'margin-top:8px' });
  const pickEdit = h('button', { type: 'button', class: 'btn small', id: 'classifier-edit', text: 'Edit its labels instead',
    title: 'Copy the classifier\'s labels, descriptions and examples into the editor', onclick: () => {
      const c = classifiers.find((x) => x.ref === pickSel.value);
      if (!c) return;
      editor.set(rowsFromSpec(c));
      opts.set({ mode: c.mode || opts.mode, threshold: c.threshold, text_type: c.text_type });
      source = 'labels';
      for (const r of view.querySelectorAll('input[name="source"]')) r.checked = r.value === 'labels';
      syncSource();
    } });
  const picker = h('div', { class: 'field', hidden: true }, h('label', { for: 'classifier', text: 'Saved classifier' }), pickSel, pickInfo,
    h('div', { style: 'margin-top:10px' }, pickEdit), errEl('classifier'));
  const sourceSeg = h('div', { class: 'field', hidden: true }, h('span', { class: 'lbl', id: 'source-lbl', text: 'Labels from' }),
    seg('source', [['labels', 'Define labels'], ['classifier', 'Saved classifier']], 'labels', (v) => { source = v; syncSource(); }, 'source-lbl'));
  const editorWrap = h('div', null, editor.el);
  let classifiers = [];
  function syncSource() {
    picker.hidden = source !== 'classifier';
    editorWrap.hidden = source !== 'labels';
  }
  function showPicked() {
    const c = classifiers.find((x) => x.ref === pickSel.value);
    replace(pickInfo, c ? [`${c.labels.length} labels: `, c.labels.slice(0, 12).map((l) => h('span', { class: 'pill', text: l })), c.labels.length > 12 ? '…' : ''] : []);
  }
  pickSel.addEventListener('change', showPicked);
  const wantRef = params.get('classifier') || '';
  const classifiersLoaded = api('GET', '/v1/classifiers').then(async (res) => {
    if (!live(my)) return;
    classifiers = (res && res.data) || [];
    // A link to an older version: fetch that version so it can be picked too.
    if (wantRef && !classifiers.some((c) => c.ref === wantRef)) {
      try { classifiers.unshift(await api('GET', `/v1/classifiers/${enc(wantRef)}`)); } catch (e) { /* shown below */ }
      if (!live(my)) return;
    }
    if (!classifiers.length) return;
    replace(pickSel, classifiers.map((c) => h('option', { value: c.ref, text: `${c.name} (${c.version}, ${c.labels.length} labels)` })));
    sourceSeg.hidden = false;
    const want = classifiers.find((c) => c.ref === wantRef || c.name === wantRef);
    if (want) {
      pickSel.value = want.ref;
      source = 'classifier';
      for (const r of view.querySelectorAll('input[name="source"]')) r.checked = r.value === 'classifier';
      if (want.mode) opts.set({ mode: want.mode, threshold: want.threshold, text_type: want.text_type });
      syncSource();
    }
    showPicked();
  }).catch(() => { /* no saved classifiers: the picker stays hidden */ });

  const fileInput = h('input', { type: 'file', id: 'file', accept: '.ndjson,.jsonl,.json,.txt,application/x-ndjson', 'aria-describedby': 'file-hint err-file' });
  const fileInfo = h('div', { class: 'file-info', id: 'file-info' });
  const drop = fileDrop(fileInput, (f) => pickFile(f));
  const general = h('div', { class: 'banner bad', role: 'alert', hidden: true });
  const prefillNote = h('div', { class: 'banner info', id: 'prefill-note', hidden: true });
  const submit = h('button', { class: 'btn primary', type: 'submit', id: 'create-job', text: 'Upload and preview' });
  const submitStart = h('button', { class: 'btn', type: 'button', id: 'create-start', text: 'Create and start now', title: 'Skip the preview',
    onclick: () => create(true) });
  const steps = h('ol', { class: 'steps', hidden: true, 'aria-label': 'Progress' });

  function pickFile(f) {
    file = f || null;
    fieldErr.file.textContent = '';
    fileInput.classList.remove('invalid');
    if (!file) { fileInfo.textContent = ''; return; }
    replace(fileInfo, h('b', { text: file.name }), ` · ${bytes(file.size)}`);
    const f0 = file;
    Promise.all([notNDJSON(file), file.slice(0, 65536).text()]).then(([bad, t]) => {
      if (file !== f0 || !live(my)) return;
      if (bad) {
        fieldErr.file.textContent = bad;
        fileInput.classList.add('invalid');
        return;
      }
      const note = checkFirstLine(t);
      if (note) add(fileInfo, [h('span', { class: 'err', style: 'display:inline;margin-left:8px', text: `Check the file: ${note}.` })]);
    }).catch(() => {});
  }

  const form = h('form', { id: 'new-job', novalidate: true, onsubmit: (e) => { e.preventDefault(); create(false); } },
    prefillNote,
    h('section', { class: 'card', 'aria-labelledby': 'h-name' },
      h('h2', { id: 'h-name' }, h('label', { for: 'job-name', style: 'font-size:inherit;margin:0', text: '1 · Name' })),
      jobName, h('div', { class: 'hint', style: 'margin-top:6px', text: 'Optional, up to 100 characters: the jobs list shows it instead of the id.' }), errEl('name'),
      h('details', { class: 'more-opts' }, h('summary', { text: 'Metadata (optional)' }),
        h('div', { class: 'field', style: 'margin-top:10px' }, h('label', { for: 'metadata' }, 'Metadata ', h('span', { class: 'hint', id: 'metadata-hint', text: 'one key=value per line; up to 16' })), metadata, errEl('metadata')))),
    h('section', { class: 'card', 'aria-labelledby': 'h-labels' },
      h('h2', { id: 'h-labels', text: '2 · Labels' }), sourceSeg, picker, editorWrap),
    h('section', { class: 'card', 'aria-labelledby': 'h-opts' },
      h('h2', { id: 'h-opts', text: '3 · Options' }), opts.el),
    h('section', { class: 'card', 'aria-labelledby': 'h-file' },
      h('h2', { id: 'h-file' }, h('label', { for: 'file', style: 'font-size:inherit;margin:0', text: '4 · Input file (NDJSON)' })),
      drop, fileInfo, errEl('file')),
    h('div', { class: 'card' }, general,
      h('p', { class: 'muted', style: 'font-size:14px', text: 'Upload and preview shows what your labels do on a sample of your own file before anything runs; fix them there, then start.' }),
      h('div', { class: 'actions' }, submit, submitStart, h('a', { class: 'btn ghost', href: '#/jobs', text: 'Cancel' })), steps));

  const h1 = h('h1', { text: 'New job' });
  view.append(h('div', { class: 'head' }, h('div', null,
    h('div', { class: 'crumb' }, h('a', { href: '#/jobs', text: 'Jobs' }), ' / New job'),
    h1,
    h('p', { text: 'Name the job and its labels, pick an NDJSON file, preview, then start. Results come back one line per input line, in input order.' }))),
  form);
  syncSource();
  focusHeading();

  // Prefill.
  const from = params.get('from');
  if (from === 'playground') {
    editor.set(pgState.labels);
    opts.set({ mode: pgState.mode === 'tag' ? 'multi' : 'single', threshold: pgState.mode === 'tag' ? pgState.threshold : null, text_type: pgState.textType });
    prefillNote.textContent = 'Labels, descriptions and examples from the playground.';
    prefillNote.hidden = false;
  } else if (from) {
    api('GET', `/v1/batch/${enc(from)}`).then(async (j) => {
      await classifiersLoaded;
      if (!live(my)) return;
      const sp = specOf(j);
      h1.textContent = 'New job · clone with edits';
      jobName.value = j.name ? `${j.name} (copy)`.slice(0, 100) : '';
      metadata.value = Object.entries(j.metadata || {}).map(([k, v]) => `${k}=${v}`).join('\n');
      editor.set(rowsFromSpec(sp));
      editor.setExpansions(sp.label_expansions);
      opts.set(sp);
      source = 'labels';
      for (const r of view.querySelectorAll('input[name="source"]')) r.checked = r.value === 'labels';
      syncSource();
      replace(prefillNote, 'Prefilled from ', h('a', { href: `#/job/${j.job_id}`, text: jobTitle(j) }),
        sp.classifier ? ` (made from the saved classifier ${sp.classifier})` : '', '. Edit anything, pick a file, then preview.');
      prefillNote.hidden = false;
    }).catch((e) => {
      if (!live(my)) return;
      general.textContent = `Could not load job ${from} to clone: ${e.message}`;
      general.hidden = false;
    });
  }

  function clearErrors() {
    general.hidden = true;
    Object.values(fieldErr).forEach((e) => { e.textContent = ''; });
    [fileInput, pickSel, jobName, metadata].forEach((x) => x.classList.remove('invalid'));
    editor.clear();
    opts.clear();
  }
  function showError(e, fallbackField) {
    const field = e.field || fallbackField;
    if (source === 'labels' && editor.showError(e)) return;
    if (opts.showError(Object.assign({}, e, { field }))) return;
    const input = { file: fileInput, classifier: pickSel, name: jobName, metadata }[field];
    if (field && fieldErr[field]) {
      fieldErr[field].textContent = e.message;
      if (input) { input.classList.add('invalid'); input.focus(); }
      return;
    }
    general.textContent = e.message;
    general.hidden = false;
  }

  const stepEls = {};
  function step(name, state, text, extra) {
    if (!stepEls[name]) {
      stepEls[name] = { li: h('li', { 'data-step': name }), text: h('span'), extra: h('div', { class: 'extra' }) };
      stepEls[name].li.append(h('span', { class: 'dot', 'aria-hidden': 'true' }), stepEls[name].text, stepEls[name].extra);
      steps.append(stepEls[name].li);
    }
    const st = stepEls[name];
    st.li.className = state;
    st.text.textContent = text;
    if (extra !== undefined) replace(st.extra, extra);
  }

  async function create(startNow) {
    clearErrors();
    let body;
    if (source === 'classifier') {
      if (!pickSel.value) { showError({ field: 'classifier', message: 'Pick a saved classifier.' }); return; }
      body = { classifier: pickSel.value };
    } else {
      body = editor.getSpec();
      if (!body.labels.length) { editor.showError({ field: 'labels', message: 'Add at least one label.' }); return; }
    }
    try {
      const o = opts.get();
      body.mode = o.mode;
      if (o.threshold != null) body.threshold = o.threshold;
      if (o.text_type) body.text_type = o.text_type;
      if (o.model) body.model = o.model;
    } catch (e) { showError(e); return; }
    if (jobName.value.trim()) body.name = jobName.value.trim();
    const meta = parseMetadata(metadata.value);
    if (meta.error) { showError({ field: 'metadata', message: meta.error }); return; }
    if (meta.value) body.metadata = meta.value;
    if (!file) { showError({ field: 'file', message: 'Choose the NDJSON file to classify.' }); return; }

    submit.disabled = true;
    submitStart.disabled = true;
    const enable = () => { submit.disabled = false; submitStart.disabled = false; };
    // Before the job exists: a file the appliance would refuse must leave no job behind.
    let bad;
    try { bad = await notNDJSON(file); } catch (e) { bad = `The file could not be read: ${e.message}`; }
    if (bad) {
      enable();
      showError({ field: 'file', message: bad });
      return;
    }
    steps.hidden = false;
    steps.replaceChildren();
    for (const k of Object.keys(stepEls)) delete stepEls[k];
    step('create', 'active', 'Creating the job…');
    let job;
    try {
      job = await api('POST', '/v1/batch', body);
    } catch (e) {
      steps.hidden = true;
      enable();
      showError(e);
      return;
    }
    step('create', 'done', `Created ${job.job_id}`);
    pendingUploads.set(job.job_id, job);
    const up = uploadProgress();
    up.set(0, file.size);
    step('upload', 'active', `Uploading ${file.name} (${bytes(file.size)})…`, up.el);
    try {
      await uploadFile(job, file, up.set);
    } catch (e) {
      step('upload', 'fail', 'The upload failed.');
      enable();
      showError(e, 'file');
      general.hidden = false;
      replace(general, `Job ${job.job_id} was created but has no file yet. `, h('a', { href: `#/job/${job.job_id}`, text: 'Open the job' }), ' to upload again, or fix the problem and create a new one.');
      return;
    }
    up.set(file.size, file.size);
    pendingUploads.delete(job.job_id);
    step('upload', 'done', `Uploaded ${file.name} (${bytes(file.size)})`);
    if (!startNow) {
      toast('Uploaded: previewing on a sample of the file');
      if (live(my)) location.hash = `#/job/${job.job_id}`;
      return;
    }
    step('start', 'active', 'Starting…');
    try {
      await api('POST', `/v1/batch/${job.job_id}/start`);
    } catch (e) {
      step('start', 'fail', 'The job did not start.');
      enable();
      general.hidden = false;
      replace(general, `${e.message} The job ${job.job_id} is uploaded and waits: `, h('a', { href: `#/job/${job.job_id}`, text: 'start it from its page' }), ' later.');
      return;
    }
    step('start', 'done', 'Started');
    toast(`Job ${job.job_id} started`);
    if (live(my)) location.hash = `#/job/${job.job_id}`;
  }
}

// parseMetadata reads "key=value" lines into an object ({value} or {error}).
function parseMetadata(text) {
  const out = {};
  let n = 0;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { error: `Line ${i + 1}: write key=value.` };
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    n++;
  }
  return { value: n ? out : null };
}
