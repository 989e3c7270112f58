// classer-batch console: plain JavaScript, no build step, no network access beyond the
// appliance's own API (and the signed upload/download URLs it hands out).
'use strict';
(() => {
  const KEY_STORE = 'classer.apiKey';
  const view = document.getElementById('view');
  const SAMPLE_BYTES = 4 << 20; // results fetched for the charts: the first 4 MiB
  const INPUT_PREVIEW_BYTES = 1 << 20; // input kept for showing texts beside results
  const SHOWN_RESULTS = 20;

  // Files uploaded in this tab, by job id: the File handle (not its contents) and the
  // texts of its first lines, so a job page can show results beside their inputs.
  const uploads = new Map();

  // ---------- small DOM helpers ----------
  const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'htmlFor', 'type', 'accept']);
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    setProps(el, props);
    add(el, kids);
    return el;
  }
  function setProps(el, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (PROPS.has(k)) el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function add(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k == null || k === false) continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    add(el, kids);
    return el;
  }
  function replace(el, ...kids) { el.replaceChildren(); add(el, kids); }

  let uid = 0;
  const nextId = (p) => `${p}-${++uid}`;

  // ---------- formatting ----------
  const nf = new Intl.NumberFormat('en-US');
  const num = (n) => (n == null ? '—' : nf.format(n));
  const pct = (x) => `${(x * 100).toFixed(x > 0 && x < 0.01 ? 1 : 0)}%`;
  function bytes(n) {
    const u = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return `${n.toFixed(i && n < 10 ? 1 : 0)} ${u[i]}`;
  }
  function duration(sec) {
    if (sec == null || !isFinite(sec)) return '—';
    if (sec < 1) return 'under 1s';
    sec = Math.round(sec);
    if (sec < 60) return `${sec}s`;
    const m = Math.floor(sec / 60);
    if (m < 60) return `${m}m ${String(sec % 60).padStart(2, '0')}s`;
    const hr = Math.floor(m / 60);
    return `${hr}h ${String(m % 60).padStart(2, '0')}m`;
  }
  function ago(iso) {
    if (!iso) return '—';
    const sec = (Date.now() - Date.parse(iso)) / 1000;
    if (sec < 45) return 'just now';
    if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
    if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
    return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  }
  const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—');
  const rateText = (r) => (r == null ? '—' : `${r >= 100 ? nf.format(Math.round(r)) : r.toFixed(1)} lines/s`);

  // ---------- API ----------
  const apiKey = () => sessionStorage.getItem(KEY_STORE) || '';

  class ApiError extends Error {
    constructor(status, body, fallback) {
      super((body && body.message) || fallback || `HTTP ${status}`);
      this.status = status;
      this.code = (body && body.code) || '';
      this.field = (body && body.details && body.details.field) || '';
    }
  }

  async function api(method, path, body, opts = {}) {
    const headers = { Authorization: `Bearer ${opts.key || apiKey()}` };
    const init = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, null, 'The appliance cannot be reached. Is it running?');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      const err = new ApiError(res.status, data, `${res.status} ${res.statusText}`);
      if (res.status === 401 && !opts.key) {
        sessionStorage.removeItem(KEY_STORE);
        gateMessage = 'The appliance no longer accepts this key. Paste a valid one.';
        route();
      }
      throw err;
    }
    return data;
  }

  // ---------- toast ----------
  let toastTimer = 0;
  function toast(msg) {
    const t = document.getElementById('toast');
    t.textContent = msg;
    t.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => t.classList.remove('show'), 3200);
  }

  // ---------- routing ----------
  // Each render gets a token; async work checks it before touching the DOM, and timers
  // registered with every() stop when the route changes.
  let token = 0;
  let timers = [];
  let gateMessage = '';
  // every runs fn now and then again after ms (a number, or a func asked after each run,
  // so the interval follows what fn saw), until the route changes.
  function every(ms, fn) {
    const my = token;
    let id = 0;
    let first = true;
    const tick = async () => {
      if (my !== token) return;
      if (first || !document.hidden) {
        try { await fn(); } catch (e) { /* shown by fn; keep polling */ }
      }
      first = false;
      if (my === token) id = setTimeout(tick, typeof ms === 'function' ? ms() : ms);
    };
    timers.push(() => clearTimeout(id));
    tick();
  }
  const live = (my) => my === token;

  function route() {
    token++;
    timers.forEach((f) => f());
    timers = [];
    const hash = location.hash || '#/jobs';
    const key = apiKey();
    document.getElementById('who').hidden = !key;
    document.getElementById('who-key').textContent = key ? `${key.slice(0, 7)}…${key.slice(-4)}` : '';
    const name = hash.startsWith('#/job/') ? 'jobs' : hash.slice(2);
    for (const a of document.querySelectorAll('[data-nav]')) {
      if (key && a.dataset.nav === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    view.replaceChildren();
    if (!key) return renderGate();
    const m = hash.match(/^#\/job\/([A-Za-z0-9_-]+)$/);
    if (m) return renderJob(m[1]);
    switch (hash) {
      case '#/new': return renderNew();
      case '#/playground': return renderPlayground();
      case '#/jobs': return renderJobs();
      default: location.replace('#/jobs');
    }
  }

  function setTitle(t) { document.title = t ? `${t} · classer-batch` : 'classer-batch'; }
  function focusHeading() {
    const h1 = view.querySelector('h1');
    if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  }

  // ---------- key gate ----------
  function renderGate() {
    setTitle('Connect');
    const input = h('input', { id: 'key-input', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'sk-…', 'aria-describedby': 'key-err' });
    const err = h('div', { class: 'err', id: 'key-err', role: 'alert', text: gateMessage });
    gateMessage = '';
    const btn = h('button', { class: 'btn primary', type: 'submit', id: 'key-submit', text: 'Connect' });
    const form = h('form', { novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      const k = input.value.trim();
      if (!k) { err.textContent = 'Paste an API key first.'; input.classList.add('invalid'); input.focus(); return; }
      btn.disabled = true;
      err.textContent = '';
      try {
        await api('GET', '/v1/batch?limit=1', undefined, { key: k });
        sessionStorage.setItem(KEY_STORE, k);
        if (!location.hash || location.hash === '#/') location.hash = '#/jobs';
        else route();
      } catch (e2) {
        btn.disabled = false;
        input.classList.add('invalid');
        err.textContent = e2.status === 401 ? 'This key was not accepted by the appliance.' : e2.message;
        input.focus();
      }
    } }, input, btn);
    view.append(h('section', { class: 'gate card' },
      h('h1', { text: 'Connect to classer-batch' }),
      h('p', null, 'Paste an API key of your account. It stays in this browser tab only (session storage) and is sent as ', h('code', { text: 'Authorization: Bearer' }), '.'),
      h('label', { for: 'key-input', text: 'API key' }),
      form, err));
    input.focus();
  }

  document.getElementById('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORE);
    uploads.clear();
    route();
  });

  // ---------- job helpers ----------
  const done = (j) => (j.requests_completed || 0) + (j.requests_failed || 0);
  const badge = (status) => h('span', { class: `badge ${status}`, text: status });

  // Throughput from the last ~10 s of polls while processing (resumed jobs and clock skew
  // make started_at unreliable), else the average over the run.
  const samples = new Map();
  function rate(j) {
    const now = Date.now();
    if (j.status === 'processing') {
      const list = (samples.get(j.job_id) || []).filter((x) => now - x.t < 10000);
      if (!list.length || list[list.length - 1].done !== done(j) || now - list[list.length - 1].t > 900) list.push({ t: now, done: done(j) });
      samples.set(j.job_id, list);
      const a = list[0], b = list[list.length - 1];
      if (b.t - a.t >= 1500 && b.done > a.done) return ((b.done - a.done) * 1000) / (b.t - a.t);
    }
    if (!j.started_at) return null;
    const end = j.completed_at ? Date.parse(j.completed_at) : (j.status === 'processing' ? now : null);
    if (end == null) return null;
    const sec = (end - Date.parse(j.started_at)) / 1000;
    if (sec <= 0) return null;
    return done(j) / sec;
  }
  function timeLeft(j, r) {
    if (j.status !== 'processing' || !j.requests_total || !r) return null;
    return (j.requests_total - done(j)) / r;
  }
  function progressFrac(j) {
    if (j.status === 'completed') return 1;
    return j.requests_total ? Math.min(1, done(j) / j.requests_total) : 0;
  }
  function meter(j, big) {
    const f = progressFrac(j);
    return h('div', { class: `meter ${j.status}${big ? ' big' : ''}`, role: 'progressbar', 'aria-label': 'Progress', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(f * 100)) },
      h('i', { style: `width:${(f * 100).toFixed(1)}%` }));
  }
  function tokensText(j) {
    if (j.actual_tokens != null) return num(j.actual_tokens);
    return j.estimated_tokens ? `~${num(j.estimated_tokens)}` : '—';
  }

  // ---------- jobs list ----------
  function renderJobs() {
    const my = token;
    setTitle('Jobs');
    const tbody = h('tbody');
    const more = h('div', { class: 'more', hidden: true });
    const err = h('div', { class: 'banner bad', role: 'alert', hidden: true });
    const table = h('table', { class: 'list stacked', id: 'jobs-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', text: 'Job' }), h('th', { scope: 'col', text: 'Status' }), h('th', { scope: 'col', text: 'Progress' }),
        h('th', { scope: 'col', class: 'num', text: 'Failed' }), h('th', { scope: 'col', class: 'num', text: 'Tokens' }),
        h('th', { scope: 'col', class: 'num', text: 'Throughput' }), h('th', { scope: 'col', class: 'num', text: 'Time left' }))),
      tbody);
    const body = h('div', { class: 'card flush' }, h('div', { class: 'skeleton', style: 'padding:24px', text: 'Loading jobs…' }));
    view.append(
      h('div', { class: 'head' },
        h('div', null, h('h1', { text: 'Jobs' }), h('p', { text: 'Batch jobs of this account, newest first. Progress updates live.' })),
        h('div', { class: 'actions' }, h('a', { class: 'btn primary', href: '#/new', text: '+ New job' }))),
      err, body);
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
          link: h('a', { class: 'job-link', href: `#/job/${j.job_id}`, text: j.job_id }),
          created: h('div', { class: 'sub' }),
          status: h('td', { 'data-label': 'Status' }),
          prog: h('td', { 'data-label': 'Progress', class: 'prog-cell' }),
          failed: h('td', { class: 'num', 'data-label': 'Failed' }),
          tokens: h('td', { class: 'num', 'data-label': 'Tokens' }),
          rate: h('td', { class: 'num', 'data-label': 'Throughput' }),
          left: h('td', { class: 'num', 'data-label': 'Time left' }),
        };
        r.tr.append(h('td', { class: 'first' }, r.link, r.created), r.status, r.prog, r.failed, r.tokens, r.rate, r.left);
        rows.set(j.job_id, r);
      }
      r.created.textContent = `${j.mode === 'multi' ? 'multi-label' : 'single-label'} · created ${ago(j.created_at)}`;
      r.created.title = when(j.created_at);
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
      let res;
      try {
        res = await api('GET', `/v1/batch?limit=${limit}`);
      } catch (e) {
        if (!live(my)) return;
        err.textContent = `Could not load jobs: ${e.message}`;
        err.hidden = false;
        throw e;
      }
      if (!live(my)) return;
      err.hidden = true;
      const jobs = res.data || [];
      hasMore = !!res.has_more;
      anyProcessing = jobs.some((j) => j.status === 'processing');
      if (!jobs.length) {
        replace(body, h('div', { class: 'empty' },
          h('h2', { text: 'No jobs yet' }),
          h('p', { text: 'Create a job: name your labels, upload an NDJSON file of texts, and download one result per line.' }),
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

  // ---------- label editor ----------
  // Used by the new-job form and the playground. getSpec() returns {labels, descriptions,
  // examples} from the non-empty rows; showError(err) marks the rows an API error is about.
  function labelEditor(initial, idp) {
    const list = h('div', { class: 'labels', role: 'list' });
    const err = h('div', { class: 'err', id: `${idp}-err-labels`, role: 'alert' });
    const rowsEls = [];
    function addRow(v = {}) {
      const n = rowsEls.length + 1;
      const ids = { l: nextId(`${idp}-label`), d: nextId(`${idp}-desc`), e: nextId(`${idp}-ex`) };
      const name = h('input', { type: 'text', id: ids.l, class: 'label-name', value: v.label || '', placeholder: 'e.g. billing', maxlength: '100', autocomplete: 'off' });
      const desc = h('input', { type: 'text', id: ids.d, class: 'label-desc', value: v.description || '', placeholder: 'What belongs here (optional)' });
      const ex = h('textarea', { id: ids.e, class: 'label-ex', rows: '1', placeholder: 'One example per line (optional)' });
      ex.value = (v.examples || []).join('\n');
      // Grow with the examples, up to five lines; then it scrolls.
      // (CSS field-sizing does it where supported.)
      if (!(window.CSS && CSS.supports('field-sizing', 'content'))) {
        const fit = () => { ex.style.height = ''; if (ex.scrollHeight > ex.clientHeight) ex.style.height = `${Math.min(ex.scrollHeight + 2, 132)}px`; };
        ex.addEventListener('input', fit);
        requestAnimationFrame(fit);
      }
      const r = h('div', { class: 'label-row', role: 'listitem' },
        h('div', { class: 'num', 'aria-hidden': 'true', text: String(n) }),
        h('div', null, h('label', { for: ids.l, text: 'Label' }), name),
        h('div', { class: 'desc' }, h('label', { for: ids.d, text: 'Description' }), desc),
        h('div', { class: 'ex' }, h('label', { for: ids.e, text: 'Examples' }), ex),
        h('button', { type: 'button', class: 'icon-btn remove-label', 'aria-label': 'Remove label', title: 'Remove label', text: '×', style: 'margin-top:20px',
          onclick: () => {
            if (rowsEls.length === 1) { name.value = ''; desc.value = ''; ex.value = ''; name.focus(); return; }
            const i = rowsEls.indexOf(r);
            rowsEls.splice(i, 1);
            r.remove();
            renumber();
            (rowsEls[Math.min(i, rowsEls.length - 1)].querySelector('.label-name')).focus();
          } }));
      name.addEventListener('input', clear);
      r._name = name; r._desc = desc; r._ex = ex;
      rowsEls.push(r);
      list.append(r);
      return r;
    }
    function renumber() { rowsEls.forEach((r, i) => { r.querySelector('.num').textContent = String(i + 1); }); }
    function clear() {
      err.textContent = '';
      rowsEls.forEach((r) => { r.classList.remove('invalid-row'); r._name.classList.remove('invalid'); });
    }
    (initial.length ? initial : [{}, {}]).forEach(addRow);
    const addBtn = h('button', { type: 'button', class: 'btn small', id: `${idp}-add-label`, text: '+ Add label',
      onclick: () => { addRow().querySelector('.label-name').focus(); } });
    let sent = []; // row of each label sent, to map "labels[2]" back to a row
    return {
      el: h('div', { class: 'label-editor' }, list, h('div', { class: 'label-tools' }, addBtn,
        h('span', { class: 'hint', text: 'Descriptions and examples sharpen a label; both are optional.' })), err),
      getSpec() {
        const labels = [], descriptions = {}, examples = {};
        sent = [];
        for (const r of rowsEls) {
          const l = r._name.value.trim(), d = r._desc.value.trim();
          const ex = r._ex.value.split('\n').map((x) => x.trim()).filter(Boolean);
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
      // Returns true when the error was about the labels and is now shown here.
      showError(e) {
        if (!['labels', 'descriptions', 'examples'].includes(e.field)) return false;
        clear();
        err.textContent = e.message;
        let rowsHit = [];
        const idx = e.message.match(/^labels\[(\d+)\]/);
        const q = e.message.match(/"([^"]*)"/);
        if (idx && sent[+idx[1]]) rowsHit = [sent[+idx[1]]];
        else if (q && e.field === 'labels') rowsHit = sent.filter((r) => r._name.value.trim() === q[1]);
        else if (e.field === 'labels' && !sent.length) rowsHit = rowsEls.slice(0, 1);
        rowsHit.forEach((r) => { r.classList.add('invalid-row'); r._name.classList.add('invalid'); });
        (rowsHit[0] ? rowsHit[0]._name : rowsEls[0]._name).focus();
        return true;
      },
      clear,
    };
  }

  // A labelled segmented radio control.
  function seg(name, options, value, onchange) {
    return h('div', { class: 'seg', role: 'radiogroup' }, options.map(([v, text]) =>
      h('label', null, h('input', { type: 'radio', name, value: v, checked: v === value, onchange: () => onchange(v) }), h('span', { text }))));
  }

  // ---------- new job ----------
  function renderNew() {
    const my = token;
    setTitle('New job');
    const idp = 'nj';
    const editor = labelEditor([], idp);
    let source = 'labels';
    let mode = 'single';
    let file = null;

    const fieldErr = {};
    const errEl = (f) => (fieldErr[f] = h('div', { class: 'err', id: `err-${f}`, role: 'alert' }));

    // Saved classifiers: shown only when the appliance has the endpoint and the account has some.
    const pickSel = h('select', { id: 'classifier', 'aria-describedby': 'err-classifier' });
    const pickInfo = h('div', { class: 'hint', style: 'margin-top:8px' });
    const picker = h('div', { class: 'field', hidden: true }, h('label', { for: 'classifier', text: 'Saved classifier' }), pickSel, pickInfo, errEl('classifier'));
    const sourceSeg = h('div', { class: 'field', hidden: true }, h('span', { class: 'lbl', text: 'Labels from' }),
      seg('source', [['labels', 'Define labels'], ['classifier', 'Saved classifier']], 'labels', (v) => { source = v; syncSource(); }));
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
    api('GET', '/v1/classifiers').then((res) => {
      if (!live(my)) return;
      classifiers = (res && res.data) || [];
      if (!classifiers.length) return;
      replace(pickSel, classifiers.map((c) => h('option', { value: c.ref, text: `${c.name} (${c.version}, ${c.labels.length} labels)` })));
      sourceSeg.hidden = false;
      showPicked();
    }).catch(() => { /* 404: this appliance has no saved classifiers; the picker stays hidden */ });

    const threshold = h('input', { type: 'number', id: 'threshold', class: 'inline-num', min: '0', max: '1', step: '0.05', value: '0.3', 'aria-describedby': 'err-threshold' });
    const thresholdField = h('div', { class: 'field', hidden: true },
      h('label', { for: 'threshold' }, 'Threshold ', h('span', { class: 'hint', text: '0 to 1' })), threshold, errEl('threshold'));
    const textType = h('input', { type: 'text', id: 'text_type', placeholder: 'e.g. customer support tickets', 'aria-describedby': 'err-text_type' });
    const fileInput = h('input', { type: 'file', id: 'file', accept: '.ndjson,.jsonl,.json,.txt,application/x-ndjson', 'aria-describedby': 'file-hint err-file' });
    const fileInfo = h('div', { class: 'file-info', id: 'file-info' });
    const drop = h('div', { class: 'drop' }, fileInput,
      h('div', { class: 'hint', id: 'file-hint' }, 'One JSON object per line with a ', h('code', { text: 'text' }), ' field; an ', h('code', { text: 'id' }), ' is echoed back. Up to 5 GiB. You can also drop the file here.'));
    const general = h('div', { class: 'banner bad', role: 'alert', hidden: true });
    const submit = h('button', { class: 'btn primary', type: 'submit', id: 'create-job', text: 'Create job and start' });
    const steps = h('ol', { class: 'steps', hidden: true, 'aria-label': 'Progress' });

    function pickFile(f) {
      file = f || null;
      fieldErr.file.textContent = '';
      fileInput.classList.remove('invalid');
      if (!file) { fileInfo.textContent = ''; return; }
      replace(fileInfo, h('b', { text: file.name }), ` · ${bytes(file.size)}`);
      const f0 = file;
      file.slice(0, 65536).text().then((t) => {
        if (file !== f0 || !live(my)) return;
        const first = t.replace(/^\uFEFF/, '').split('\n').find((l) => l.trim());
        let note = '';
        try { const o = JSON.parse(first || ''); if (typeof o.text !== 'string') note = 'the first line has no "text" field'; } catch (e) { note = 'the first line is not JSON'; }
        if (note) add(fileInfo, [h('span', { class: 'err', style: 'display:inline;margin-left:8px', text: `Check the file: ${note}.` })]);
      }).catch(() => {});
    }
    fileInput.addEventListener('change', () => pickFile(fileInput.files[0]));
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer.files.length) { fileInput.files = e.dataTransfer.files; pickFile(e.dataTransfer.files[0]); }
    });

    const form = h('form', { id: 'new-job', novalidate: true, onsubmit: (e) => { e.preventDefault(); create(); } },
      h('section', { class: 'card', 'aria-labelledby': 'h-labels' },
        h('h2', { id: 'h-labels', text: '1 · Labels' }), sourceSeg, picker, editorWrap),
      h('section', { class: 'card', 'aria-labelledby': 'h-opts' },
        h('h2', { id: 'h-opts', text: '2 · Options' }),
        h('div', { class: 'row' },
          h('div', { class: 'field', style: 'flex:0 0 auto' }, h('span', { class: 'lbl', id: 'mode-lbl', text: 'Mode' }),
            seg('mode', [['single', 'Single label'], ['multi', 'Multi label']], 'single', (v) => { mode = v; thresholdField.hidden = v !== 'multi'; }),
            errEl('mode')),
          thresholdField,
          h('div', { class: 'field' }, h('label', { for: 'text_type' }, 'What are the texts? ', h('span', { class: 'hint', text: 'optional context' })), textType, errEl('text_type')))),
      h('section', { class: 'card', 'aria-labelledby': 'h-file' },
        h('h2', { id: 'h-file' }, h('label', { for: 'file', style: 'font-size:inherit;margin:0', text: '3 · Input file (NDJSON)' })),
        drop, fileInfo, errEl('file')),
      h('div', { class: 'card' }, general, h('div', { class: 'actions' }, submit,
        h('a', { class: 'btn ghost', href: '#/jobs', text: 'Cancel' })), steps));

    view.append(h('div', { class: 'head' }, h('div', null,
      h('div', { class: 'crumb' }, h('a', { href: '#/jobs', text: 'Jobs' }), ' / New job'),
      h('h1', { text: 'New job' }),
      h('p', { text: 'Name your labels, pick an NDJSON file and start. Results come back one line per input line, in input order.' }))),
    form);
    syncSource();
    focusHeading();

    function clearErrors() {
      general.hidden = true;
      Object.values(fieldErr).forEach((e) => { e.textContent = ''; });
      [threshold, textType, fileInput, pickSel].forEach((x) => x.classList.remove('invalid'));
      editor.clear();
    }
    function showError(e, fallbackField) {
      const field = e.field || fallbackField;
      const input = { threshold, text_type: textType, file: fileInput, classifier: pickSel }[field];
      if (source === 'labels' && editor.showError(e)) return;
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

    async function create() {
      clearErrors();
      let body;
      if (source === 'classifier') {
        if (!pickSel.value) { showError({ field: 'classifier', message: 'Pick a saved classifier.' }); return; }
        body = { classifier: pickSel.value };
      } else {
        body = editor.getSpec();
        if (!body.labels.length) { editor.showError({ field: 'labels', message: 'Add at least one label.' }); return; }
      }
      body.mode = mode;
      if (mode === 'multi') {
        const t = threshold.value.trim();
        if (t !== '') {
          const v = Number(t);
          if (!Number.isFinite(v)) { showError({ field: 'threshold', message: 'Threshold must be a number from 0 to 1.' }); return; }
          body.threshold = v;
        }
      }
      if (textType.value.trim()) body.text_type = textType.value.trim();
      if (!file) { showError({ field: 'file', message: 'Choose the NDJSON file to classify.' }); return; }

      submit.disabled = true;
      steps.hidden = false;
      steps.replaceChildren();
      for (const k of Object.keys(stepEls)) delete stepEls[k];
      step('create', 'active', 'Creating the job…');
      let job;
      try {
        job = await api('POST', '/v1/batch', body);
      } catch (e) {
        steps.hidden = true;
        submit.disabled = false;
        showError(e);
        return;
      }
      step('create', 'done', `Created ${job.job_id}`);
      rememberUpload(job.job_id, file, body.labels || (classifiers.find((c) => c.ref === body.classifier) || {}).labels);

      const bar = h('i', { style: 'width:0%' });
      const upMeter = h('div', { class: 'meter big', role: 'progressbar', 'aria-label': 'Upload progress', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', id: 'upload-progress' }, bar);
      const upText = h('div', { class: 'sub' });
      step('upload', 'active', `Uploading ${file.name} (${bytes(file.size)})…`, [upMeter, upText]);
      try {
        await uploadFile(job, file, (loaded, total) => {
          const f = total ? loaded / total : 0;
          bar.style.width = `${(f * 100).toFixed(1)}%`;
          upMeter.setAttribute('aria-valuenow', String(Math.round(f * 100)));
          upText.textContent = `${bytes(loaded)} of ${bytes(total)} · ${pct(f)}`;
        });
      } catch (e) {
        step('upload', 'fail', 'The upload failed.');
        submit.disabled = false;
        showError(e, 'file');
        general.hidden = false;
        replace(general, `Job ${job.job_id} was created but has no file yet. `, h('a', { href: `#/job/${job.job_id}`, text: 'Open the job' }), ' or fix the problem and create a new one.');
        return;
      }
      bar.style.width = '100%';
      step('upload', 'done', `Uploaded ${file.name} (${bytes(file.size)})`);

      step('start', 'active', 'Starting…');
      try {
        await api('POST', `/v1/batch/${job.job_id}/start`);
      } catch (e) {
        step('start', 'fail', 'The job did not start.');
        submit.disabled = false;
        general.hidden = false;
        replace(general, `${e.message} The job ${job.job_id} is uploaded and waits: `, h('a', { href: `#/job/${job.job_id}`, text: 'start it from its page' }), ' later.');
        return;
      }
      step('start', 'done', 'Started');
      toast(`Job ${job.job_id} started`);
      if (live(my)) location.hash = `#/job/${job.job_id}`;
    }
  }

  // uploadFile posts every upload_fields entry and then the file as multipart form data,
  // with XMLHttpRequest because fetch has no upload progress.
  function uploadFile(job, file, onProgress) {
    return new Promise((resolve, reject) => {
      const fd = new FormData();
      const fields = job.upload_fields || {};
      if ('key' in fields) fd.append('key', fields.key);
      for (const [k, v] of Object.entries(fields)) if (k !== 'key') fd.append(k, v);
      fd.append('file', file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', job.upload_url);
      xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) return resolve();
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) {
          // S3 answers XML: <Error><Code>EntityTooLarge</Code><Message>…</Message></Error>
          const m = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || '');
          if (m) body = { message: m[1] };
        }
        const err = new ApiError(xhr.status, body, `Upload refused: HTTP ${xhr.status}`);
        if (!err.field) err.field = 'file';
        reject(err);
      });
      xhr.addEventListener('error', () => reject(Object.assign(new ApiError(0, null, 'The upload could not reach the storage (network error).'), { field: 'file' })));
      xhr.addEventListener('abort', () => reject(Object.assign(new ApiError(0, null, 'The upload was aborted.'), { field: 'file' })));
      xhr.send(fd);
    });
  }

  // rememberUpload keeps the texts of the file's first lines (by 0-based line number,
  // blank lines counted, as results' index is) for this tab's job page.
  function rememberUpload(id, file, labels) {
    const entry = { name: file.name, size: file.size, labels: labels || [], texts: null, partial: file.size > INPUT_PREVIEW_BYTES };
    uploads.set(id, entry);
    entry.ready = file.slice(0, INPUT_PREVIEW_BYTES).text().then((t) => {
      let lines = t.replace(/^\uFEFF/, '').split('\n');
      if (entry.partial) lines = lines.slice(0, -1); // the last one may be cut off
      entry.texts = lines.map((l) => {
        l = l.replace(/\r$/, '');
        if (!l.trim()) return null;
        try {
          const o = JSON.parse(l);
          return o && typeof o.text === 'string' ? o.text : { raw: l };
        } catch (e) { return { raw: l }; }
      });
    }).catch(() => { entry.texts = null; });
  }

  // ---------- job page ----------
  function renderJob(id) {
    const my = token;
    setTitle(id);
    const head = h('div', { class: 'head' });
    const banner = h('div', { class: 'banner bad', role: 'alert', hidden: true });
    const progress = h('div', { class: 'card', id: 'job-progress' });
    const stats = h('div', { class: 'stats', id: 'job-stats' });
    const times = h('dl', { class: 'times' });
    const charts = h('div', { id: 'charts' });
    const results = h('div', { id: 'results' });
    view.append(head, banner, h('div', { class: 'stack' }, progress, stats,
      h('section', { class: 'card', 'aria-labelledby': 'h-times' }, h('h2', { id: 'h-times', text: 'Timings' }), times),
      charts, results));

    let job = null;
    let resultsLoaded = false;
    let confirmingDelete = false;
    let busy = false;

    const titleH1 = h('h1', { class: 'mono', style: 'font-size:20px', text: id });
    const badgeWrap = h('span');
    const actions = h('div', { class: 'actions', id: 'job-actions' });
    replace(head, h('div', null,
      h('div', { class: 'crumb' }, h('a', { href: '#/jobs', text: 'Jobs' }), ' / Job'),
      h('div', { style: 'display:flex;gap:12px;align-items:center;flex-wrap:wrap' }, titleH1, badgeWrap),
      h('p', { id: 'job-sub' })), actions);
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
      const key = `${job.status}|${busy}|${confirmingDelete}`;
      if (key === actionsKey) return;
      actionsKey = key;
      const b = [];
      if (job.status === 'completed') b.push(h('button', { class: 'btn primary', type: 'button', id: 'download', disabled: busy, text: 'Download results', onclick: download }));
      if (job.status === 'processing') b.push(h('button', { class: 'btn', type: 'button', id: 'cancel', disabled: busy, text: 'Cancel', onclick: () => act('POST', `/v1/batch/${id}/cancel`, 'Cancelling at the next checkpoint…') }));
      if (job.status === 'failed') b.push(h('button', { class: 'btn primary', type: 'button', id: 'restart', disabled: busy, text: 'Restart', title: 'Resume where it stopped', onclick: () => act('POST', `/v1/batch/${id}/start`, 'Restarted') }));
      if (job.status === 'pending') b.push(h('button', { class: 'btn primary', type: 'button', id: 'start', disabled: busy, text: 'Start', onclick: () => act('POST', `/v1/batch/${id}/start`, 'Started') }));
      if (job.status !== 'processing') {
        if (confirmingDelete) {
          b.push(h('span', { class: 'muted', text: 'Delete the job and its files?' }),
            h('button', { class: 'btn danger solid', type: 'button', id: 'confirm-delete', disabled: busy, text: 'Delete', onclick: async () => {
              if (await act('DELETE', `/v1/batch/${id}`, `Deleted ${id}`, false)) { uploads.delete(id); location.hash = '#/jobs'; } else drawActions();
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

    function draw() {
      const j = job;
      if (badgeWrap.dataset.s !== j.status) { replace(badgeWrap, badge(j.status)); badgeWrap.dataset.s = j.status; }
      document.getElementById('job-sub').textContent = `${j.mode === 'multi' ? 'Multi-label' : 'Single-label'} · created ${when(j.created_at)}`;
      drawActions();
      const r = rate(j);
      const left = timeLeft(j, r);
      const f = progressFrac(j);
      const counting = j.status === 'processing' && !j.requests_total;
      let note;
      if (j.status === 'pending') note = 'Waiting to start. Upload a file, then start the job.';
      else if (j.status === 'processing') note = counting ? 'Counting lines…' : `${pct(f)} · ${rateText(r)} · ${left == null ? 'estimating time left…' : `about ${duration(left)} left`}`;
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
          token++;
          return;
        }
        banner.textContent = `Could not load the job: ${e.message}`;
        banner.hidden = false;
        throw e;
      }
      if (!live(my)) return;
      job = j;
      draw();
      if (j.status === 'completed' && !resultsLoaded) {
        resultsLoaded = true;
        loadResults().catch((e) => {
          if (!live(my)) return;
          replace(charts, h('div', { class: 'banner bad', text: `Could not load the results: ${e.message}` }));
          resultsLoaded = false;
        });
      }
      if (j.status !== 'completed') { replace(charts); replace(results); resultsLoaded = false; }
    }

    async function loadResults() {
      replace(charts, h('div', { class: 'card skeleton', text: 'Loading results…' }));
      const url = await resultsURL();
      // Only the head of the file: enough for the charts and the first results, and a
      // 5 GB result file never lands in the browser. The download URL serves Range.
      const res = await fetch(url, { headers: { Range: `bytes=0-${SAMPLE_BYTES - 1}` } });
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
      const up = uploads.get(id);
      if (up && up.ready) await up.ready;
      if (!live(my)) return;
      drawCharts(lines, partial, url, up ? up.labels : []);
      drawResults(lines.slice(0, SHOWN_RESULTS), up);
    }

    function drawCharts(lines, partial, url, known) {
      // Labels known from this tab's form get a bar even when no line got them.
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
      const rows = [...counts].sort((a, b) => b[1] - a[1]).map(([l, n]) => ({ name: l, n }));
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
        h('section', { class: 'card', 'aria-labelledby': 'h-conf' }, h('h2', { id: 'h-conf', text: 'Confidence distribution' }), histogram(bins),
          h('p', { class: 'caption' }, `${multi ? 'Confidence of every assigned label' : 'Confidence of each line\'s label'} in 10 bins, from ${scope}. `,
            h('a', { id: 'download-url', href: url, download: `${id}.ndjson`, text: 'Download the results' }), '.'))));
    }

    function histogram(bins) {
      // Drawn at the width it will have (half the row on wide screens), so text stays legible.
      const avail = charts.clientWidth || 520;
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

    function drawResults(lines, up) {
      const have = up && up.texts;
      let note;
      if (have) note = `Input texts from ${up.name}, the file uploaded in this tab.`;
      else note = 'Input texts are shown only in the browser tab that uploaded the file; these are the results alone.';
      const textOf = (r) => {
        if (!have) return null;
        const t = up.texts[r.index];
        if (t === undefined) return h('span', { class: 'missing', text: 'beyond the part of the file kept in this tab' });
        if (t === null) return h('span', { class: 'missing', text: '(blank)' });
        if (typeof t === 'object') return h('span', { class: 'missing mono', text: t.raw.slice(0, 200) });
        return h('span', { class: 't', text: t });
      };
      const result = (r) => {
        if (r.error) return h('span', { class: 'pill err', text: r.error });
        if (Array.isArray(r.labels)) return r.labels.length ? r.labels.map((l) => h('span', { class: 'pill' }, l.label, h('small', { text: l.confidence.toFixed(2) }))) : h('span', { class: 'muted', text: 'no label above the threshold' });
        return h('span', { class: 'pill', text: r.label });
      };
      const conf = (r) => {
        const c = r.error ? null : Array.isArray(r.labels) ? (r.labels[0] ? r.labels[0].confidence : null) : r.confidence;
        if (c == null) return h('span', { class: 'muted', text: '—' });
        return h('div', { class: 'conf' }, h('div', { class: 'meter' }, h('i', { style: `width:${c * 100}%` })), h('span', { text: c.toFixed(2) }));
      };
      replace(results, h('section', { class: 'card flush', 'aria-labelledby': 'h-res' },
        h('div', { style: 'padding:18px 20px 6px' }, h('h2', { id: 'h-res', text: `First ${lines.length} results` }), h('p', { class: 'caption', style: 'margin:0 0 6px', id: 'results-note', text: note })),
        h('div', { class: 'table-wrap' }, h('table', { class: 'list results', id: 'results-table' },
          h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'num', text: 'Line' }), h('th', { scope: 'col', text: 'id' }),
            have ? h('th', { scope: 'col', text: 'Text' }) : null, h('th', { scope: 'col', text: 'Result' }), h('th', { scope: 'col', text: 'Confidence' }), h('th', { scope: 'col', class: 'num', text: 'Tokens' }))),
          h('tbody', null, lines.map((r) => h('tr', null,
            h('td', { class: 'num muted line', 'data-label': 'Line', text: String(r.index + 1) }),
            h('td', { class: 'mono rid', 'data-label': 'id', text: r.id === undefined ? '' : typeof r.id === 'string' ? r.id : JSON.stringify(r.id) }),
            have ? h('td', { class: 'text', 'data-label': 'Text' }, textOf(r)) : null,
            h('td', { class: 'res', 'data-label': 'Result' }, result(r)), h('td', { 'data-label': 'Confidence' }, conf(r)),
            h('td', { class: 'num', 'data-label': 'Tokens', text: num(r.tokens) }))))))));
    }

    every(() => (job && job.status === 'processing' ? 1000 : 5000), load);
  }

  // ---------- playground ----------
  const pgState = { texts: 'I was charged twice for my subscription this month\nThe app crashes every time I open settings\nCan I get a quote for 50 seats on the enterprise plan?', labels: [
    { label: 'billing', description: 'invoices, charges, refunds and payments' },
    { label: 'technical', description: 'bugs, crashes, errors and outages' },
    { label: 'sales', description: 'pricing, quotes, plans and upgrades' }], mode: 'classify', threshold: '0.5' };
  function renderPlayground() {
    const my = token;
    setTitle('Playground');
    const editor = labelEditor(pgState.labels, 'pg');
    const texts = h('textarea', { id: 'pg-texts', rows: '8', 'aria-describedby': 'pg-err-texts' });
    texts.value = pgState.texts;
    let mode = pgState.mode;
    const threshold = h('input', { type: 'number', id: 'pg-threshold', class: 'inline-num', min: '0', max: '1', step: '0.05', value: pgState.threshold });
    const thField = h('div', { class: 'field', hidden: mode !== 'tag' }, h('label', { for: 'pg-threshold', text: 'Threshold' }), threshold, h('div', { class: 'err', id: 'pg-err-threshold' }));
    const out = h('div', { class: 'pg-out', id: 'pg-out', 'aria-live': 'polite' },
      h('p', { class: 'muted', text: 'Results appear here: each text with its label confidences.' }));
    const general = h('div', { class: 'banner bad', role: 'alert', hidden: true });
    const textsErr = h('div', { class: 'err', id: 'pg-err-texts', role: 'alert' });
    const run = h('button', { class: 'btn primary', type: 'submit', id: 'pg-run', text: 'Classify' });
    const form = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); go(); } },
      h('div', { class: 'field' }, h('label', { for: 'pg-texts' }, 'Texts ', h('span', { class: 'hint', text: 'one per line, up to 1,000' })), texts, textsErr),
      h('div', { class: 'field' }, h('span', { class: 'lbl', text: 'Labels' }), editor.el),
      h('div', { class: 'row', style: 'margin-bottom:16px' },
        h('div', { class: 'field', style: 'flex:0 0 auto' }, h('span', { class: 'lbl', text: 'Mode' }),
          seg('pg-mode', [['classify', 'Classify (one label)'], ['tag', 'Tag (multi-label)']], mode, (v) => { mode = v; thField.hidden = v !== 'tag'; })),
        thField),
      general,
      h('div', { class: 'actions' }, run, h('span', { class: 'hint' }, 'or press ', h('kbd', { class: 'kbd', text: 'Ctrl' }), ' + ', h('kbd', { class: 'kbd', text: 'Enter' }))));
    form.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); go(); } });
    view.append(
      h('div', { class: 'head' }, h('div', null, h('h1', { text: 'Playground' }),
        h('p', null, 'Try labels and descriptions on a few texts before running a job. Uses ', h('code', { text: '/v1/classify/batch' }), ' and ', h('code', { text: '/v1/tag/batch' }), '.'))),
      h('div', { class: 'pg' }, h('section', { class: 'card', 'aria-label': 'Input' }, form),
        h('section', { class: 'card', 'aria-labelledby': 'h-pg-out' }, h('h2', { id: 'h-pg-out', text: 'Results' }), out)));
    focusHeading();

    async function go() {
      general.hidden = true;
      textsErr.textContent = '';
      texts.classList.remove('invalid');
      threshold.classList.remove('invalid');
      document.getElementById('pg-err-threshold').textContent = '';
      editor.clear();
      const list = texts.value.split('\n').map((t) => t.trim()).filter(Boolean);
      pgState.texts = texts.value; pgState.mode = mode; pgState.threshold = threshold.value;
      if (!list.length) { textsErr.textContent = 'Type at least one text.'; texts.classList.add('invalid'); texts.focus(); return; }
      const spec = editor.getSpec();
      pgState.labels = spec.labels.map((l) => ({ label: l, description: (spec.descriptions || {})[l], examples: (spec.examples || {})[l] }));
      if (!spec.labels.length) { editor.showError({ field: 'labels', message: 'Add at least one label.' }); return; }
      const body = Object.assign({ texts: list }, spec);
      if (mode === 'tag' && threshold.value.trim() !== '') body.threshold = Number(threshold.value);
      run.disabled = true;
      run.textContent = 'Running…';
      try {
        const res = await api('POST', mode === 'tag' ? '/v1/tag/batch' : '/v1/classify/batch', body);
        if (!live(my)) return;
        drawOut(list, res, spec.labels);
      } catch (e) {
        if (!live(my)) return;
        if (e.field === 'texts') { textsErr.textContent = e.message; texts.classList.add('invalid'); texts.focus(); }
        else if (e.field === 'threshold') { document.getElementById('pg-err-threshold').textContent = e.message; threshold.classList.add('invalid'); threshold.focus(); }
        else if (!editor.showError(e)) { general.textContent = e.message; general.hidden = false; }
      } finally {
        if (live(my)) { run.disabled = false; run.textContent = mode === 'tag' ? 'Tag' : 'Classify'; }
      }
    }

    function drawOut(list, res, labels) {
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

  window.addEventListener('hashchange', route);
  route();
})();
