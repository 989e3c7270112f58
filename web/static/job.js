// The job page (#/job/ID): spec, progress, charts, actions; a pending job's spec is edited
// and previewed here. Saving a job's spec as a classifier lives here too.

import { h, replace, s } from './dom.js';
import { bytes, duration, num, pct, rateText, when } from './format.js';
import { api, canon, enc } from './api.js';
import { current, every, focusHeading, leave, live, setTitle, toast, view } from './page.js';
import { badge, done, fileText, hasFile, jobTitle, meter, progressFrac, rate, specOf, swatch, timeLeft } from './jobutil.js';
import { expWords, labelEditor, rowsFromSpec, specOptions } from './spec.js';
import { previewView } from './preview.js';
import { fileDrop, notNDJSON, pendingUploads, unreachable, uploadFile, uploadProgress } from './upload.js';
import { explorer } from './explorer.js';
import { accuracyView, changesView, reviewQueues } from './review.js';

const SAMPLE_BYTES = 4 << 20; // results fetched for the charts: the first 4 MiB

export function renderJob(id) {
  const my = current();
  setTitle(id);
  const head = h('div', { class: 'head' });
  const banner = h('div', { class: 'banner bad', role: 'alert', hidden: true });
  const saveBox = h('div', { class: 'card', id: 'save-box', hidden: true });
  const phaseBox = h('div', { class: 'stack', id: 'phase' });
  const specBox = h('div', { id: 'spec-box' });
  const exBox = h('div', { id: 'explorer-box' });
  // A completed job's review (issue 26): what a rerun changed, the accuracy, the queues.
  const changesBox = h('div', { id: 'changes-box' });
  const accBox = h('div', { id: 'accuracy-box' });
  const queueBox = h('div', { id: 'review-box' });
  view.append(head, banner, saveBox, h('div', { class: 'stack' }, phaseBox, changesBox, accBox, queueBox, specBox, exBox));

  let job = null;
  let phase = '';
  let confirmingDelete = false;
  let busy = false;
  let renaming = false;
  let phaseApi = null; // the current phase's update(job), if any
  let ex = null;

  const titleH1 = h('h1', { class: 'job-title', text: id });
  const badgeWrap = h('span');
  const renameBox = h('span', { class: 'rename' });
  const actions = h('div', { class: 'actions', id: 'job-actions' });
  const sub = h('p', { id: 'job-sub' });
  replace(head, h('div', { class: 'head-main' },
    h('div', { class: 'crumb' }, h('a', { href: '#/jobs', text: 'Jobs' }), ' / Job'),
    h('div', { class: 'title-row' }, titleH1, badgeWrap, renameBox), sub), actions);
  focusHeading();

  async function act(method, path, okMsg, reload = true) {
    busy = true;
    drawActions();
    banner.hidden = true;
    try {
      await api(method, path);
      if (okMsg) toast(okMsg);
      return true;
    } catch (e) {
      banner.textContent = e.message;
      banner.hidden = false;
      return false;
    } finally {
      busy = false;
      if (reload && live(my)) { await load().catch(() => {}); }
    }
  }

  // The buttons are rebuilt only when what they show changes: rebuilding them on every
  // poll would swap the node under a click in progress and lose it.
  let actionsKey = '';
  function drawActions() {
    if (!job) return;
    const reviewed = job.review ? job.review.reviewed : 0;
    const key = `${job.status}|${busy}|${confirmingDelete}|${hasFile(job)}|${reviewed > 0}`;
    if (key === actionsKey) return;
    actionsKey = key;
    const b = [];
    if (job.status === 'completed') b.push(h('button', { class: 'btn primary', type: 'button', id: 'download', disabled: busy, text: 'Download results', onclick: download }));
    if (job.status === 'completed') b.push(h('button', { class: 'btn', type: 'button', id: 'rerun', disabled: busy || !reviewed, text: 'Rerun with corrections',
      title: reviewed ? 'A new job on the same file, with the corrected lines added as examples' : 'Review some lines first', onclick: rerun }));
    if (job.status === 'processing') b.push(h('button', { class: 'btn', type: 'button', id: 'cancel', disabled: busy, text: 'Cancel', onclick: () => act('POST', `/v1/batch/${id}/cancel`, 'Cancelling at the next checkpoint…') }));
    if (job.status === 'failed') b.push(h('button', { class: 'btn primary', type: 'button', id: 'restart', disabled: busy, text: 'Restart', title: 'Resume where it stopped', onclick: () => act('POST', `/v1/batch/${id}/start`, 'Restarted') }));
    if (job.status === 'pending') b.push(h('button', { class: 'btn primary', type: 'button', id: 'start', disabled: busy || !hasFile(job), text: 'Start', title: hasFile(job) ? 'Run the job on the whole file' : 'Upload a file first', onclick: start }));
    b.push(h('a', { class: 'btn', id: 'clone', href: `#/new?from=${id}`, text: 'Clone with edits', title: 'A new job with this job\'s labels, to edit',
      onclick: async (e) => {
        // Unsaved edits of a pending job go with the clone: save them first.
        if (!phaseApi || !phaseApi.flush) return;
        e.preventDefault();
        if (await phaseApi.flush()) location.hash = `#/new?from=${id}`;
      } }));
    b.push(h('button', { class: 'btn', type: 'button', id: 'save-classifier', text: 'Save as classifier', onclick: openSave }));
    if (job.status !== 'processing') {
      if (confirmingDelete) {
        b.push(h('span', { class: 'muted', text: 'Delete the job and its files?' }),
          h('button', { class: 'btn danger solid', type: 'button', id: 'confirm-delete', disabled: busy, text: 'Delete', onclick: async () => {
            if (await act('DELETE', `/v1/batch/${id}`, `Deleted ${id}`, false)) location.hash = '#/jobs'; else drawActions();
          } }),
          h('button', { class: 'btn ghost', type: 'button', text: 'Keep', onclick: () => { confirmingDelete = false; drawActions(); actions.querySelector('#delete').focus(); } }));
      } else {
        b.push(h('button', { class: 'btn danger', type: 'button', id: 'delete', disabled: busy, text: 'Delete', onclick: () => { confirmingDelete = true; drawActions(); actions.querySelector('#confirm-delete').focus(); } }));
      }
    }
    const focused = document.activeElement && actions.contains(document.activeElement) ? document.activeElement.id : '';
    replace(actions, b);
    if (focused && actions.querySelector(`#${focused}`)) actions.querySelector(`#${focused}`).focus();
  }

  async function rerun() {
    busy = true;
    drawActions();
    banner.hidden = true;
    try {
      const r = await api('POST', `/v1/batch/${id}/rerun`);
      const added = Object.values(r.examples_added || {}).reduce((a, b) => a + b, 0);
      toast(r.status === 'pending' ? (r.message || 'Rerun created; start it when the running job is done') : `Rerun started with ${added} new example${added === 1 ? '' : 's'}`);
      location.hash = `#/job/${r.job_id}`;
    } catch (e) {
      banner.textContent = e.message;
      banner.hidden = false;
      busy = false;
      drawActions();
    }
  }

  async function start() {
    // A pending job's unsaved edits are saved first: what starts is what the page shows.
    if (phaseApi && phaseApi.flush) {
      busy = true; drawActions();
      const ok = await phaseApi.flush();
      busy = false; drawActions();
      if (!ok) return;
    }
    await act('POST', `/v1/batch/${id}/start`, 'Started');
  }

  function openSave() {
    const f = saveClassifierForm('sc', job.name || id.replace(/^batch_/, 'job-'), async () => {
      // A pending job's unsaved edits are saved first, so the classifier is what the page shows.
      if (phaseApi && phaseApi.flush && !(await phaseApi.flush())) throw new Error('Fix the labels above first: they could not be saved.');
      return savedSpec(specOf(job));
    }, (saved) => {
      toast(`Saved as ${saved.ref}`);
      replace(saveBox, h('p', { id: 'saved-note', style: 'margin:0' }, 'Saved as ', h('b', { class: 'mono', text: saved.ref }), '. ',
        h('a', { href: '#/classifiers', text: 'See saved classifiers' }), ' · ',
        h('a', { href: `#/new?classifier=${enc(saved.ref)}`, text: 'Use it in a new job' }), '.'));
    });
    replace(saveBox, h('div', { class: 'save-head' }, h('h2', { text: 'Save as classifier' }),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', text: '×', onclick: () => { saveBox.hidden = true; } })),
    h('p', { class: 'muted', style: 'font-size:14px', text: 'Keeps this job\'s labels, descriptions, examples, mode and text type under a name, for new jobs, the playground and the real-time API.' }),
    f.el);
    saveBox.hidden = false;
    f.focus();
  }

  function drawRename() {
    if (!renaming) {
      replace(renameBox, h('button', { type: 'button', class: 'btn small ghost', id: 'rename', text: job && job.name ? 'Rename' : 'Name it', onclick: () => { renaming = true; drawRename(); } }));
      return;
    }
    const input = h('input', { type: 'text', id: 'rename-input', maxlength: '100', value: job.name || '', 'aria-label': 'Job name' });
    const err = h('span', { class: 'err', role: 'alert' });
    const f = h('form', { class: 'rename-form', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      try {
        job = await api('PATCH', `/v1/batch/${id}`, { name: input.value.trim() });
        if (!live(my)) return;
        renaming = false;
        drawHead();
        drawRename();
        toast('Renamed');
      } catch (e2) { err.textContent = e2.message; input.classList.add('invalid'); }
    } }, input, h('button', { class: 'btn small primary', type: 'submit', id: 'rename-save', text: 'Save' }),
    h('button', { class: 'btn small ghost', type: 'button', text: 'Cancel', onclick: () => { renaming = false; drawRename(); } }), err);
    replace(renameBox, f);
    input.focus();
    input.select();
  }

  function drawHead() {
    const j = job;
    titleH1.textContent = jobTitle(j);
    titleH1.classList.toggle('mono', !j.name);
    setTitle(jobTitle(j));
    if (badgeWrap.dataset.s !== j.status) { replace(badgeWrap, badge(j.status)); badgeWrap.dataset.s = j.status; }
    const bits = [];
    if (j.name) bits.push(h('span', { class: 'mono', text: j.job_id }));
    bits.push(fileText(j) ? h('span', null, h('span', { class: 'file-name', id: 'job-file', text: fileText(j) }), j.input_bytes ? ` (${bytes(j.input_bytes)})` : '') : 'no file yet');
    bits.push(`${j.mode === 'multi' ? 'multi-label' : 'single-label'} · created ${when(j.created_at)}`);
    replace(sub, bits.map((b, i) => [i ? ' · ' : '', b]));
  }

  async function resultsURL() {
    const r = await api('GET', `/v1/batch/${id}/results`);
    return r.download_url;
  }
  async function download() {
    try {
      const url = await resultsURL();
      const a = h('a', { href: url, download: `${id}.ndjson`, hidden: true, id: 'download-link' });
      document.body.append(a);
      a.click();
      setTimeout(() => a.remove(), 1000);
      const link = document.getElementById('download-url');
      if (link) link.href = url;
    } catch (e) {
      banner.textContent = `Download failed: ${e.message}`;
      banner.hidden = false;
    }
  }

  // ----- phases: what the middle of the page is for -----
  function phaseOf(j) {
    if (j.status === 'pending') return hasFile(j) ? 'review' : 'upload';
    return 'run';
  }

  // upload: a pending job without a file. The upload URL is handed out only with the
  // create answer, so only the tab that created the job can upload to it; elsewhere the
  // page says so and offers a clone.
  function uploadPhase() {
    const target = pendingUploads.get(id);
    if (!target || (target.expires_at && Date.parse(target.expires_at) < Date.now())) {
      replace(phaseBox, h('section', { class: 'card', 'aria-labelledby': 'h-upload', id: 'no-file' },
        h('h2', { id: 'h-upload', text: 'No input file yet' }),
        h('p', { class: 'muted', text: 'This job was created without a file. Its signed upload URL was handed out once, when it was created, and this tab does not have it (or it has expired).' }),
        h('p', { class: 'muted', text: 'Clone the job with edits: the new job gets a fresh upload, keeps these labels, and opens the preview.' }),
        h('a', { class: 'btn primary', href: `#/new?from=${id}`, text: 'Clone with edits' })));
      return null;
    }
    const fileInput = h('input', { type: 'file', id: 'job-file-input', accept: '.ndjson,.jsonl,.json,.txt,application/x-ndjson' });
    const info = h('div', { class: 'file-info' });
    const err = h('div', { class: 'err', id: 'err-job-file-input', role: 'alert' });
    const prog = h('div');
    let file = null;
    const btn = h('button', { class: 'btn primary', type: 'button', id: 'upload-btn', text: 'Upload and preview', disabled: true, onclick: async () => {
      btn.disabled = true;
      err.textContent = '';
      try {
        const bad = await notNDJSON(file);
        if (bad) throw new Error(bad);
        const up = uploadProgress();
        replace(prog, up.el);
        await uploadFile(target, file, up.set);
        pendingUploads.delete(id);
        toast('Uploaded: previewing on a sample of the file');
        await load();
      } catch (e) {
        err.textContent = e.message;
        btn.disabled = false;
      }
    } });
    replace(phaseBox, h('section', { class: 'card', 'aria-labelledby': 'h-upload' },
      h('h2', { id: 'h-upload' }, h('label', { for: 'job-file-input', style: 'font-size:inherit;margin:0', text: 'Upload the input file' })),
      h('p', { class: 'muted', text: 'This job has no file yet. Upload one to preview the labels on it, then start.' }),
      fileDrop(fileInput, (f) => { file = f || null; btn.disabled = !file; replace(info, file ? [h('b', { text: file.name }), ` · ${bytes(file.size)}`] : []); }),
      info, err, h('div', { class: 'actions', style: 'margin-top:12px' }, btn), prog));
    return null;
  }

  // review: a pending job with a file: its spec in an editor, and the preview.
  function reviewPhase() {
    const sp = specOf(job);
    let saved = canon(editedSpec(sp));
    let lastPreview = null;
    let running = false;
    const state = h('span', { class: 'spec-state', id: 'spec-state', role: 'status' });
    const editor = labelEditor(rowsFromSpec(sp), 'js', changed);
    editor.setExpansions(sp.label_expansions);
    const opts = specOptions('js-', sp, changed);
    const general = h('div', { class: 'banner bad', role: 'alert', hidden: true });
    const runBtn = h('button', { class: 'btn primary', type: 'button', id: 'preview-run', text: 'Preview again', onclick: () => run() });
    const pvBody = h('div', { id: 'preview-body' }, h('p', { class: 'skeleton', text: 'Previewing on a sample of the file…' }));
    // What a screen reader hears after each preview: the summary, not the whole report.
    const pvStatus = h('div', { class: 'sr-only', role: 'status', id: 'pv-status' });
    const pvHead = h('h2', { id: 'h-preview', text: 'Preview' });
    const fromClf = sp.classifier ? h('p', { class: 'hint', text: `Made from the saved classifier ${sp.classifier}; edits here change this job only.` }) : null;
    replace(phaseBox,
      h('section', { class: 'card', 'aria-labelledby': 'h-spec-edit', id: 'spec-editor' },
        h('div', { class: 'save-head' }, h('h2', { id: 'h-spec-edit', text: 'Labels' }), state),
        h('p', { class: 'muted', style: 'font-size:14px' }, 'Fix what the preview shows, then preview again: edits are saved to the job (', h('code', { text: 'PATCH' }), ') first, so the preview is what the run will do.'),
        fromClf, editor.el, h('div', { style: 'margin-top:16px' }, opts.el), general,
        h('div', { class: 'actions', style: 'margin-top:16px' }, runBtn, h('span', { class: 'hint', text: 'Happy with it? Start runs the whole file.' }))),
      h('section', { class: 'card', 'aria-labelledby': 'h-preview', id: 'preview-card' }, pvHead, pvStatus,
        h('p', { class: 'muted', style: 'font-size:14px', text: 'What the labels do on a sample of this file, with the same fit the run will use. Move a text to its right label with one click: it becomes an example of that label.' }),
        pvBody));

    function current() {
      const o = Object.assign(editor.getSpec(), opts.get());
      return o;
    }
    function editedSpec(x) {
      const o = { labels: x.labels || [] };
      if (x.descriptions && Object.keys(x.descriptions).length) o.descriptions = x.descriptions;
      if (x.examples && Object.keys(x.examples).length) o.examples = x.examples;
      o.mode = x.mode === 'multi' ? 'multi' : 'single';
      if (o.mode === 'multi' && x.threshold != null) o.threshold = x.threshold;
      o.text_type = x.text_type || '';
      if (x.model) o.model = x.model;
      return o;
    }
    function isDirty() {
      try { return canon(editedSpec(current())) !== saved; } catch (e) { return true; }
    }
    function changed() {
      const d = isDirty();
      state.textContent = d ? 'Unsaved changes: preview again to save and see them' : 'Saved';
      state.classList.toggle('dirty', d);
    }
    changed();

    // save PATCHes the edited spec when it differs from the saved one.
    async function save() {
      general.hidden = true;
      editor.clear();
      opts.clear();
      let body;
      try { body = editedSpec(current()); } catch (e) { opts.showError(e); return false; }
      if (!body.labels.length) { editor.showError({ field: 'labels', message: 'Add at least one label.' }); return false; }
      if (canon(body) === saved) return true;
      // Replace whole objects: an emptied description or example list must go.
      if (!body.descriptions) body.descriptions = {};
      if (!body.examples) body.examples = {};
      try {
        const j = await api('PATCH', `/v1/batch/${id}`, body);
        if (!live(my)) return false;
        job = j;
        saved = canon(editedSpec(specOf(j)));
        editor.setExpansions(specOf(j).label_expansions);
        drawHead();
        drawSpec();
        changed();
        return true;
      } catch (e) {
        if (!live(my)) return false;
        if (!editor.showError(e) && !opts.showError(e)) { general.textContent = e.message; general.hidden = false; }
        return false;
      }
    }

    async function run() {
      if (running) return;
      running = true;
      runBtn.disabled = true;
      runBtn.textContent = 'Previewing…';
      pvBody.classList.add('busy');
      try {
        if (!(await save())) return;
        const t0 = performance.now();
        const res = await api('POST', `/v1/batch/${id}/preview`);
        if (!live(my)) return;
        const ms = Math.round(performance.now() - t0);
        const order = specOf(job).labels || [];
        replace(pvBody, previewView(res, order, lastPreview, move), h('p', { class: 'caption', text: `Answered in ${ms} ms.` }));
        pvHead.textContent = `Preview on ${num(res.sample_lines)} sample lines`;
        const sum = pvBody.querySelector('.pv-summary');
        pvStatus.textContent = `Preview updated. ${sum ? sum.textContent : ''}${(res.warnings || []).length ? ` ${res.warnings.length} warning(s).` : ''}`;
        lastPreview = res;
      } catch (e) {
        if (!live(my)) return;
        replace(pvBody, h('div', { class: 'banner bad', id: 'preview-error', text: `Preview failed: ${e.message}` }));
      } finally {
        running = false;
        pvBody.classList.remove('busy');
        if (live(my)) { runBtn.disabled = false; runBtn.textContent = 'Preview again'; }
      }
    }
    function move(text, label, index) {
      if (!editor.moveExample(text, label)) return;
      toast(`Line ${index + 1} is now an example of ${label}`);
      run();
    }
    run();
    return {
      flush: save,
      update() {},
    };
  }

  // run: processing, failed or completed: progress, stats, timings and (completed) charts.
  function runPhase() {
    const progress = h('div', { class: 'card', id: 'job-progress' });
    const stats = h('div', { class: 'stats', id: 'job-stats' });
    const times = h('dl', { class: 'times' });
    const charts = h('div', { id: 'charts' });
    replace(phaseBox, progress, stats,
      h('section', { class: 'card', 'aria-labelledby': 'h-times' }, h('h2', { id: 'h-times', text: 'Timings' }), times),
      charts);
    let chartsLoaded = false;
    function update(j) {
      const r = rate(j);
      const left = timeLeft(j, r);
      const f = progressFrac(j);
      const counting = j.status === 'processing' && !j.requests_total;
      let note;
      if (j.status === 'processing') note = counting ? 'Counting lines…' : `${pct(f)} · ${rateText(r)} · ${left == null ? 'estimating time left…' : `about ${duration(left)} left`}`;
      else if (j.status === 'completed') note = `Completed in ${duration((Date.parse(j.completed_at) - Date.parse(j.started_at)) / 1000)}${r ? ` · ${rateText(r)}` : ''}`;
      else note = j.error === 'cancelled' ? 'Cancelled. Restart resumes where it stopped.' : 'Failed. Restart resumes where it stopped.';
      replace(progress,
        h('div', { style: 'display:flex;justify-content:space-between;gap:12px;flex-wrap:wrap;margin-bottom:10px' },
          h('strong', { text: `${num(done(j))} of ${num(j.requests_total)} lines` }),
          h('span', { class: 'muted', id: 'progress-note', text: note })),
        meter(j, true),
        j.status === 'failed' && j.error ? h('p', { class: 'err', style: 'margin:10px 0 0', text: `Error: ${j.error}` }) : null);
      const stat = (k, v, cls) => h('div', { class: 'stat' }, h('div', { class: 'k', text: k }), h('div', { class: `v ${cls || ''}`, text: v }));
      replace(stats,
        stat('Lines', num(j.requests_total)),
        stat('Classified', num(j.requests_completed)),
        stat('Failed lines', num(j.requests_failed), j.requests_failed ? 'bad' : ''),
        stat(j.actual_tokens != null ? 'Tokens' : 'Tokens (estimated)', j.actual_tokens != null ? num(j.actual_tokens) : num(j.estimated_tokens)),
        stat('Throughput', rateText(r)));
      const dur = j.started_at ? ((j.completed_at ? Date.parse(j.completed_at) : Date.now()) - Date.parse(j.started_at)) / 1000 : null;
      const item = (k, v) => h('div', null, h('dt', { text: k }), h('dd', { text: v }));
      replace(times,
        item('Created', when(j.created_at)),
        item('Started', when(j.started_at)),
        j.status === 'processing' ? item('Time left', left == null ? 'estimating…' : duration(left)) : item('Completed', when(j.completed_at)),
        item(j.status === 'processing' ? 'Running for' : 'Duration', dur == null ? '—' : duration(dur)));
      if (j.status === 'completed' && !chartsLoaded) {
        chartsLoaded = true;
        loadCharts(charts, j).catch((e) => {
          if (!live(my)) return;
          replace(charts, h('div', { class: 'banner bad', text: `Could not load the results: ${e.message}` }));
          chartsLoaded = false;
        });
      }
      if (j.status !== 'completed') { replace(charts); chartsLoaded = false; }
    }
    return { update };
  }

  async function loadCharts(charts, j) {
    replace(charts, h('div', { class: 'card skeleton', text: 'Loading results…' }));
    const url = await resultsURL();
    // Only the head of the file: enough for the charts, and a 5 GB result file never
    // lands in the browser. The download URL serves Range.
    let res;
    try {
      res = await fetch(url, { headers: { Range: `bytes=0-${SAMPLE_BYTES - 1}` } });
    } catch (e) {
      throw new Error(unreachable('The page', url));
    }
    if (!res.ok) throw new Error(`download answered ${res.status}`);
    let text = await res.text();
    let partial = false;
    if (res.status === 206) {
      const cr = res.headers.get('Content-Range') || '';
      const total = Number(cr.split('/')[1]);
      partial = !(total > 0 && total <= SAMPLE_BYTES);
    }
    if (partial) text = text.slice(0, text.lastIndexOf('\n') + 1);
    const lines = [];
    for (const l of text.split('\n')) { if (l.trim()) { try { lines.push(JSON.parse(l)); } catch (e) { /* cut line */ } } }
    if (!live(my)) return;
    drawCharts(charts, lines, partial, url, specOf(j).labels || []);
  }

  function drawCharts(charts, lines, partial, url, known) {
    // Every label of the spec gets a bar, even when no line got it.
    const counts = new Map((known || []).map((l) => [l, 0]));
    let errors = 0, none = 0;
    const bins = new Array(10).fill(0);
    const bin = (c) => { bins[Math.min(9, Math.max(0, Math.floor(c * 10)))]++; };
    for (const r of lines) {
      if (r.error) { errors++; continue; }
      if (Array.isArray(r.labels)) {
        if (!r.labels.length) none++;
        for (const l of r.labels) { counts.set(l.label, (counts.get(l.label) || 0) + 1); bin(l.confidence); }
      } else {
        counts.set(r.label, (counts.get(r.label) || 0) + 1);
        bin(r.confidence);
      }
    }
    const rows = [...counts].sort((a, b) => b[1] - a[1]).map(([l, n]) => ({ name: l, n, cls: known.includes(l) ? swatch(known.indexOf(l)) : '' }));
    if (none) rows.push({ name: 'no label', n: none, cls: 'none' });
    if (errors) rows.push({ name: 'error', n: errors, cls: 'error' });
    const max = Math.max(1, ...rows.map((r) => r.n));
    const denom = lines.length || 1;
    const labelChart = h('div', { class: 'hbars', id: 'label-chart', role: 'list' }, rows.map((r) =>
      h('div', { class: `hbar ${r.cls || ''}`, role: 'listitem', 'aria-label': `${r.name}: ${r.n} lines` },
        h('div', { class: 'name', title: r.name, text: r.name }),
        h('div', { class: 'track' }, h('div', { class: 'fill', style: `width:${(r.n / max) * 100}%` })),
        h('div', { class: 'val' }, h('b', { text: num(r.n) }), ` · ${pct(r.n / denom)}`))));
    const scope = partial ? `the first ${num(lines.length)} results (of a larger file)` : `all ${num(lines.length)} results`;
    const multi = lines.some((r) => Array.isArray(r.labels));
    replace(charts, h('div', { class: 'grid2' },
      h('section', { class: 'card', 'aria-labelledby': 'h-dist' }, h('h2', { id: 'h-dist', text: 'Label distribution' }), labelChart,
        h('p', { class: 'caption', text: `${multi ? 'Lines carrying each label' : 'Lines per label'}, from ${scope}.` })),
      h('section', { class: 'card', 'aria-labelledby': 'h-conf' }, h('h2', { id: 'h-conf', text: 'Confidence distribution' }), histogram(charts, bins),
        h('p', { class: 'caption' }, `${multi ? 'Confidence of every assigned label' : 'Confidence of each line\'s label'} in 10 bins, from ${scope}. `,
          h('a', { id: 'download-url', href: url, download: `${id}.ndjson`, text: 'Download the results' }), '.'))));
  }

  // ----- the spec, as run (or as it will run) -----
  let specKey = '';
  function drawSpec() {
    const j = job;
    const sp = specOf(j);
    const key = JSON.stringify([sp, j.metadata, phase]);
    if (key === specKey) return;
    specKey = key;
    // A pending job with a file shows its spec in the editor above.
    if (phase === 'review') { replace(specBox); return; }
    const d = sp.descriptions || {}, exs = sp.examples || {}, exp = sp.label_expansions || {};
    const labels = sp.labels || [];
    const rows = labels.map((l, i) => h('tr', { 'data-label': l },
      h('td', { 'data-label': 'Label' }, h('span', { class: 'spec-label' }, h('i', { class: `sw ${swatch(i)}`, 'aria-hidden': 'true' }), h('b', { text: l }))),
      h('td', { 'data-label': 'Description' }, d[l] ? d[l] : (exp[l] && exp[l].length
        ? h('span', { class: 'muted' }, 'read as: ', expWords(exp[l]))
        : h('span', { class: 'muted', text: '—' }))),
      h('td', { 'data-label': 'Examples' }, (exs[l] || []).length ? h('ul', { class: 'ex-list' }, exs[l].map((x) => h('li', { text: x }))) : h('span', { class: 'muted', text: '—' }))));
    const facts = [
      ['Mode', sp.mode === 'multi' ? `multi-label, threshold ${sp.threshold != null ? sp.threshold : '—'}` : 'single label'],
      ['Text type', sp.text_type || '—'],
      ['Model', sp.model || 'default'],
      ['Saved classifier', sp.classifier || '—'],
      ['Input', fileText(j) ? `${fileText(j)}${j.input_bytes ? ` · ${bytes(j.input_bytes)}` : ''}` : 'no file yet'],
    ];
    const meta = Object.entries(j.metadata || {});
    replace(specBox, h('section', { class: 'card', 'aria-labelledby': 'h-spec', id: 'job-spec' },
      h('h2', { id: 'h-spec', text: 'Spec' }),
      h('dl', { class: 'times facts' }, facts.map(([k, v]) => h('div', null, h('dt', { text: k }), h('dd', { text: v })))),
      h('div', { class: 'table-wrap', style: 'margin-top:14px' }, h('table', { class: 'list spec-table stacked', id: 'spec-table' },
        h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Label' }), h('th', { scope: 'col', text: 'Description' }), h('th', { scope: 'col', text: 'Examples' }))),
        h('tbody', null, rows))),
      Object.keys(exp).length ? h('p', { class: 'caption', text: 'Labels without a description are read through the built-in glossary ("read as"); a description replaces that reading.' }) : null,
      meta.length ? h('div', { class: 'meta-list', id: 'job-metadata' }, h('span', { class: 'lbl', text: 'Metadata' }), meta.map(([k, v]) => h('span', { class: 'chip' }, h('b', { text: k }), ` ${v}`))) : null));
  }

  function draw() {
    drawHead();
    drawActions();
    const p = phaseOf(job);
    if (p !== phase) {
      phase = p;
      phaseApi = p === 'upload' ? uploadPhase() : p === 'review' ? reviewPhase() : runPhase();
    }
    if (phaseApi && phaseApi.update) phaseApi.update(job);
    drawSpec();
    drawReview();
    if (hasFile(job)) {
      if (!ex) { ex = explorer(id, my, () => { savedIn = 'explorer'; load().catch(() => {}); }); replace(exBox, ex.el); }
      ex.update(job);
    }
  }

  // ----- review: the accuracy card, the queues, and (a rerun) what changed -----
  let queues = null;
  let accKey = '';
  let changesKey = '';
  // savedIn names the part of the page whose review the next change of job.review comes
  // from: that part already shows it, so only the other one reloads (a reload under the
  // user's pointer would swallow the next click). A change from elsewhere (the API, another
  // tab) reloads both.
  let savedIn = '';
  function drawReview() {
    const j = job;
    const ck = j.rerun_of ? `${j.rerun_of}|${j.status}` : '';
    if (ck !== changesKey) { changesKey = ck; replace(changesBox, ck ? changesView(j, my) : null); }
    if (j.status !== 'completed') { replace(accBox); replace(queueBox); queues = null; accKey = ''; return; }
    const ak = JSON.stringify(j.review || null);
    if (ak !== accKey) {
      if (accKey) {
        if (queues && savedIn !== 'queue') queues.load();
        if (ex && savedIn !== 'explorer') ex.refresh();
      }
      savedIn = '';
      accKey = ak;
      replace(accBox, accuracyView(id, j));
    }
    if (!queues) {
      const sp = specOf(j);
      queues = reviewQueues(id, my, { labels: sp.labels || [], multi: sp.mode === 'multi' }, () => {
        savedIn = 'queue';
        load().catch(() => {});
      });
      replace(queueBox, queues.el);
      queues.load();
    }
  }

  async function load() {
    let j;
    try {
      j = await api('GET', `/v1/batch/${id}`);
    } catch (e) {
      if (!live(my)) return;
      if (e.status === 404) {
        view.replaceChildren(h('div', { class: 'empty card' }, h('h1', { text: 'Job not found' }),
          h('p', { text: `There is no job ${id} in this account. It may have been deleted.` }),
          h('a', { class: 'btn', href: '#/jobs', text: 'Back to jobs' })));
        leave();
        return;
      }
      banner.textContent = `Could not load the job: ${e.message}`;
      banner.hidden = false;
      throw e;
    }
    if (!live(my)) return;
    banner.hidden = true;
    job = j;
    draw();
    if (!renameBox.firstChild) drawRename();
  }

  every(() => (job && job.status === 'processing' ? 1000 : 5000), load);
}

function histogram(container, bins) {
  // Drawn at the width it will have (half the row on wide screens), so text stays legible.
  const avail = container.clientWidth || 520;
  const W = Math.max(280, Math.round(avail >= 900 ? avail / 2 - 50 : avail - 40)), H = 210, P = { l: 36, r: 8, t: 14, b: 28 };
  const max = Math.max(1, ...bins);
  const bw = (W - P.l - P.r) / bins.length;
  const y = (v) => P.t + (H - P.t - P.b) * (1 - v / max);
  const total = bins.reduce((a, b) => a + b, 0);
  const svg = s('svg', { class: 'hist', id: 'confidence-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `Confidence histogram: ${bins.map((b, i) => `${i / 10}–${(i + 1) / 10}: ${b}`).join(', ')}` });
  for (const f of [0, 0.5, 1]) {
    const v = Math.round(max * f);
    svg.append(s('line', { class: 'axis', x1: P.l, x2: W - P.r, y1: y(v), y2: y(v) }), s('text', { x: P.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  bins.forEach((b, i) => {
    const x = P.l + i * bw + 3;
    const hgt = Math.max(b ? 2 : 0, H - P.b - y(b));
    svg.append(s('rect', { class: `bar${i < 3 ? ' lo' : ''}`, x, y: H - P.b - hgt, width: bw - 6, height: hgt, rx: 3 },
      s('title', {}, `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}: ${b} (${total ? pct(b / total) : '0%'})`)));
    svg.append(s('text', { x: P.l + i * bw + bw / 2, y: H - P.b + 16, 'text-anchor': 'middle' }, (i / 10).toFixed(1)));
  });
  return svg;
}

// saveClassifierForm: name it and POST /v1/classifiers with spec(); the form closes on success.
function slug(s) { return (s || '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64); }
function saveClassifierForm(idp, suggest, spec, onSaved) {
  const name = h('input', { type: 'text', id: `${idp}-name`, value: slug(suggest), maxlength: '64', placeholder: 'e.g. support-tickets', autocomplete: 'off', 'aria-describedby': `${idp}-err`, pattern: '[a-z0-9_-]+' });
  const err = h('div', { class: 'err', id: `${idp}-err`, role: 'alert' });
  const btn = h('button', { class: 'btn primary small', type: 'submit', id: `${idp}-submit`, text: 'Save' });
  const form = h('form', { class: 'inline-form', id: `${idp}-form`, novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = '';
    name.classList.remove('invalid');
    btn.disabled = true;
    try {
      const saved = await api('POST', '/v1/classifiers', Object.assign({ name: name.value.trim() }, await spec()));
      onSaved(saved);
    } catch (e2) {
      err.textContent = e2.message;
      name.classList.add('invalid');
      name.focus();
    } finally { btn.disabled = false; }
  } },
  h('label', { for: `${idp}-name` }, 'Classifier name ', h('span', { class: 'hint', text: 'lowercase letters, digits, - and _; the same name again makes a new version' })),
  h('div', { class: 'inline-row' }, name, btn), err);
  return { el: form, focus: () => name.focus() };
}
// specForSaving: a job spec's fields a saved classifier keeps.
function savedSpec(spec) {
  const o = { labels: spec.labels || [] };
  if (spec.descriptions && Object.keys(spec.descriptions).length) o.descriptions = spec.descriptions;
  if (spec.examples && Object.keys(spec.examples).length) o.examples = spec.examples;
  if (spec.text_type) o.text_type = spec.text_type;
  if (spec.mode) o.mode = spec.mode;
  if (spec.mode === 'multi' && spec.threshold != null) o.threshold = spec.threshold;
  if (spec.model) o.model = spec.model;
  return o;
}
