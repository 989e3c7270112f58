// classer-batch console: plain JavaScript, no build step, no network access beyond the
// appliance's own API (and the signed upload/download URLs it hands out).
'use strict';
(() => {
  const KEY_STORE = 'classer.apiKey';
  const view = document.getElementById('view');
  const SAMPLE_BYTES = 4 << 20; // results fetched for the charts: the first 4 MiB
  const PAGE_LINES = 50; // lines per page of the results explorer

  // ---------- small DOM helpers ----------
  const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'htmlFor', 'type', 'accept', 'readOnly']);
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
  const conf2 = (c) => (c == null ? '—' : c.toFixed(2));
  // Costs are small numbers in the configured unit: enough digits to tell days apart.
  function money(x) {
    if (x == null) return '—';
    if (x === 0) return '0';
    if (x >= 100) return nf.format(Math.round(x));
    if (x >= 1) return x.toFixed(2);
    return x.toPrecision(2).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  }
  function compact(n) {
    if (n >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
    if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
    if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
    return String(n);
  }

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
  const enc = encodeURIComponent;
  // canon: JSON with object keys sorted, to compare specs whatever order the server keeps.
  function canon(x) {
    if (Array.isArray(x)) return `[${x.map(canon).join(',')}]`;
    if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canon(x[k])}`).join(',')}}`;
    return JSON.stringify(x === undefined ? null : x);
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

  // Routes are "#/path?query"; the query keeps a page's state (a filter, a prefill).
  function parseHash() {
    const raw = (location.hash || '#/jobs').slice(1);
    const q = raw.indexOf('?');
    return { path: q < 0 ? raw : raw.slice(0, q), params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
  }
  // setQuery records a page's state in the address without re-rendering the page.
  function setQuery(path, params) {
    const q = params.toString();
    history.replaceState(null, '', `#${path}${q ? `?${q}` : ''}`);
  }

  function route() {
    token++;
    timers.forEach((f) => f());
    timers = [];
    const { path, params } = parseHash();
    const key = apiKey();
    document.getElementById('who').hidden = !key;
    document.getElementById('who-key').textContent = key ? `${key.slice(0, 7)}…${key.slice(-4)}` : '';
    const name = path.startsWith('/job/') ? 'jobs' : path.slice(1);
    for (const a of document.querySelectorAll('[data-nav]')) {
      if (key && a.dataset.nav === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    view.replaceChildren();
    if (!key) return renderGate();
    const m = path.match(/^\/job\/([A-Za-z0-9_-]+)$/);
    if (m) return renderJob(m[1]);
    switch (path) {
      case '/new': return renderNew(params);
      case '/playground': return renderPlayground(params);
      case '/jobs': return renderJobs(params);
      case '/classifiers': return renderClassifiers();
      case '/keys': return renderKeys();
      case '/usage': return renderUsage(params);
      default: location.replace('#/jobs');
    }
  }

  function setTitle(t) { document.title = t ? `${t} · classer-batch` : 'classer-batch'; }
  function focusHeading() {
    const h1 = view.querySelector('h1');
    if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  }
  function pageHead(title, intro, ...actions) {
    return h('div', { class: 'head' },
      h('div', null, h('h1', { text: title }), intro ? h('p', null, intro) : null),
      actions.length ? h('div', { class: 'actions' }, actions) : null);
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
    pgState.classifier = '';
    modelsPromise = null;
    route();
  });

  // ---------- job helpers ----------
  const done = (j) => (j.requests_completed || 0) + (j.requests_failed || 0);
  const badge = (status) => h('span', { class: `badge ${status}`, text: status });
  const jobTitle = (j) => (j.name ? j.name : j.job_id);
  const specOf = (j) => j.spec || {};
  // has_input comes from the store: an upload to S3 goes straight to the bucket, so the
  // appliance knows no file name for it, and a refused upload leaves a name but no file.
  const hasFile = (j) => !!j.has_input || j.status !== 'pending';
  // fileText names the job's input for display ('' when there is none): its name when
  // the appliance saw the upload; an upload straight to S3 gives it none.
  const fileText = (j) => (hasFile(j) ? j.input_filename || 'uploaded file' : '');

  // Label colours: one of ten, by the label's place in its spec, so a label keeps its
  // colour on every chart of the page.
  const swatch = (i) => `c${i % 10}`;

  // labelSummary: the first labels as pills, then "+N".
  function labelSummary(spec, max = 3) {
    const labels = spec.labels || [];
    if (!labels.length) return spec.classifier ? h('span', { class: 'muted', text: spec.classifier }) : h('span', { class: 'muted', text: '—' });
    return h('span', { class: 'label-sum' }, labels.slice(0, max).map((l) => h('span', { class: 'pill', text: l })),
      labels.length > max ? h('span', { class: 'muted', text: ` +${labels.length - max}` }) : null);
  }

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
  const STATUSES = ['pending', 'processing', 'completed', 'failed'];
  function renderJobs(params) {
    const my = token;
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

  // ---------- label editor ----------
  // Used by the new-job form, a pending job's page and the playground. getSpec() returns
  // {labels, descriptions, examples} from the non-empty rows; showError(err) marks the rows
  // an API error is about; onChange is called on every edit.
  function labelEditor(initial, idp, onChange) {
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
  function expWords(words) {
    const more = words.length - 10;
    return h('span', { class: 'exp-words', title: words.join(', '), text: more > 0 ? `${words.slice(0, 10).join(', ')} and ${more} more` : words.join(', ') });
  }
  // rowsFromSpec turns a spec's labels, descriptions and examples into editor rows.
  function rowsFromSpec(spec) {
    const d = spec.descriptions || {}, ex = spec.examples || {};
    return (spec.labels || []).map((l) => ({ label: l, description: d[l] || '', examples: ex[l] || [] }));
  }

  // A labelled segmented radio control.
  function seg(name, options, value, onchange, labelledby) {
    return h('div', { class: 'seg', role: 'radiogroup', 'aria-labelledby': labelledby || null }, options.map(([v, text]) =>
      h('label', null, h('input', { type: 'radio', name, value: v, checked: v === value, onchange: () => onchange(v) }), h('span', { text }))));
  }

  // The configured models (GET /v1/models), asked once per key: the model picker shows
  // only when there is a choice.
  let modelsPromise = null;
  function models() {
    if (!modelsPromise) modelsPromise = api('GET', '/v1/models').then((r) => (r && r.models) || []).catch(() => []);
    return modelsPromise;
  }

  // specOptions: mode, threshold (multi only), text_type and the model, with their error slots.
  // p prefixes the ids ('' on the new-job form, which keeps the historical ids).
  function specOptions(p, init, onChange) {
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

  // ---------- preview ----------
  // The API's warnings carry their own advice; the console names each kind.
  const WARNING_TITLES = {
    label_unused: 'Unused label',
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
  function previewView(res, order, prev, onMove, unit = 'line') {
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

  // ---------- saving a classifier ----------
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

  // ---------- new job ----------
  // Prefills: ?from=<job id> (clone with edits), ?classifier=<name@vN>, ?from=playground.
  function renderNew(params) {
    const my = token;
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

  // notNDJSON judges a file's first bytes as a local upload does (batch.CheckNDJSON): the
  // first non-blank character must be '{', or the file gzip or zstd. It answers the reason
  // when the file plainly is not NDJSON, else ''. On S3 the upload never passes the
  // appliance, so this is the only check before start.
  async function notNDJSON(f) {
    const b = new Uint8Array(await f.slice(0, 65536).arrayBuffer());
    const at = (magic, from = 0) => magic.every((x, k) => b[from + k] === x);
    if (at([0x1f, 0x8b]) || at([0x28, 0xb5, 0x2f, 0xfd])) return '';
    let i = at([0xef, 0xbb, 0xbf]) ? 3 : 0;
    while (i < b.length && [0x20, 0x09, 0x0d, 0x0a].includes(b[i])) i++;
    if (i === b.length || b[i] === 0x7b) return '';
    const want = 'one JSON object per line, like {"text":"..."}';
    const head = b.subarray(0, 512);
    let binary = head.some((c) => c < 0x20 && ![0x09, 0x0a, 0x0d, 0x0c].includes(c));
    // stream: a character cut off at the end of the head is not a reason.
    if (!binary) try { new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true }); } catch (e) { binary = true; }
    if (binary) {
      const hex = [...b.subarray(0, 16)].map((c) => c.toString(16).padStart(2, '0')).join(' ');
      return `The file is not NDJSON: it looks like a binary file (its first bytes are ${hex}); expected ${want}, as UTF-8 text, or such a file compressed with gzip or zstd.`;
    }
    let first = new TextDecoder().decode(b.subarray(i)).split('\n')[0].replace(/\r$/, '');
    if ([...first].length > 60) first = `${[...first].slice(0, 60).join('')}…`;
    if (b[i] === 0x5b) return `The file is a JSON array, not NDJSON: its first line starts with ${JSON.stringify(first)}; write ${want} instead of an array.`;
    return `The file is not NDJSON: its first line starts with ${JSON.stringify(first)}; expected ${want}.`;
  }

  function checkFirstLine(t) {
    const first = t.replace(/^\uFEFF/, '').split('\n').find((l) => l.trim());
    try { const o = JSON.parse(first || ''); if (typeof o.text !== 'string') return 'the first line has no "text" field'; } catch (e) { return 'the first line is not JSON'; }
    return '';
  }

  // fileDrop wraps a file input in a drop zone; onPick gets the chosen file.
  function fileDrop(fileInput, onPick) {
    const drop = h('div', { class: 'drop' }, fileInput,
      h('div', { class: 'hint', id: `${fileInput.id}-hint` }, 'One JSON object per line with a ', h('code', { text: 'text' }), ' field; an ', h('code', { text: 'id' }), ' is echoed back. Up to 5 GiB. You can also drop the file here.'));
    fileInput.setAttribute('aria-describedby', `${fileInput.id}-hint err-${fileInput.id}`);
    fileInput.addEventListener('change', () => onPick(fileInput.files[0]));
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer.files.length) { fileInput.files = e.dataTransfer.files; onPick(e.dataTransfer.files[0]); }
    });
    return drop;
  }

  function uploadProgress() {
    const bar = h('i', { style: 'width:0%' });
    const m = h('div', { class: 'meter big', role: 'progressbar', 'aria-label': 'Upload progress', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', id: 'upload-progress' }, bar);
    const txt = h('div', { class: 'sub' });
    return {
      el: [m, txt],
      set(loaded, total) {
        const f = total ? loaded / total : 0;
        bar.style.width = `${(f * 100).toFixed(1)}%`;
        m.setAttribute('aria-valuenow', String(Math.round(f * 100)));
        txt.textContent = `${bytes(loaded)} of ${bytes(total)} · ${pct(f)}`;
      },
    };
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
      xhr.addEventListener('error', () => reject(Object.assign(new ApiError(0, null, unreachable('The upload', job.upload_url)), { field: 'file' })));
      xhr.addEventListener('abort', () => reject(Object.assign(new ApiError(0, null, 'The upload was aborted.'), { field: 'file' })));
      xhr.send(fd);
    });
  }

  // unreachable says why a request to the storage may have failed. On S3 the page uploads
  // to the bucket and reads results from it directly, which the browser allows only when
  // the bucket's CORS rules let this page's origin do so.
  function unreachable(what, url) {
    let origin = '';
    try { origin = new URL(url, location.href).origin; } catch (e) { /* named below by its URL */ }
    if (origin === location.origin) return `${what} could not reach the storage (network error).`;
    return `${what} could not reach the storage at ${origin || url} (network error). On S3 storage this page uploads to the bucket and reads results from it directly, ` +
      `so the bucket must let this page's origin (${location.origin}) POST and GET: add a CORS rule to the bucket (see the README, "MinIO / S3").`;
  }

  // ---------- job page ----------
  function renderJob(id) {
    const my = token;
    setTitle(id);
    const head = h('div', { class: 'head' });
    const banner = h('div', { class: 'banner bad', role: 'alert', hidden: true });
    const saveBox = h('div', { class: 'card', id: 'save-box', hidden: true });
    const phaseBox = h('div', { class: 'stack', id: 'phase' });
    const specBox = h('div', { id: 'spec-box' });
    const exBox = h('div', { id: 'explorer-box' });
    view.append(head, banner, saveBox, h('div', { class: 'stack' }, phaseBox, specBox, exBox));

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
      const key = `${job.status}|${busy}|${confirmingDelete}|${hasFile(job)}`;
      if (key === actionsKey) return;
      actionsKey = key;
      const b = [];
      if (job.status === 'completed') b.push(h('button', { class: 'btn primary', type: 'button', id: 'download', disabled: busy, text: 'Download results', onclick: download }));
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
      if (hasFile(job)) {
        if (!ex) { ex = explorer(id, my); replace(exBox, ex.el); }
        ex.update(job);
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
          token++;
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
  // Upload targets of jobs created in this tab whose upload did not finish (the job page
  // can retry with them while they are valid).
  const pendingUploads = new Map();

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

  // ---------- results explorer ----------
  // Pages through a job's lines with GET /v1/batch/{id}/lines: the input text beside each
  // answer, in any tab. Texts are there from the upload on; answers and the filters once
  // the job is completed.
  function explorer(id, my) {
    let completed = null;
    let multi = false;
    let labels = [];
    let offset = 0;
    let back = []; // offsets of the pages before this one
    let nextOffset = null;
    let filter = { label: '', max: '' };
    let seq = 0;
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
        h('th', { scope: 'col', text: 'Text' }), h('th', { scope: 'col', text: 'Result' }), h('th', { scope: 'col', text: 'Confidence' }))),
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
        res = await api('GET', `/v1/batch/${id}/lines?${q}`);
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
      replace(tbody, lines.length ? lines.map(row) : h('tr', { class: 'empty-row' }, h('td', { colspan: '5', class: 'muted', text: filter.label || filter.max !== '' ? 'No line on this page or after it matches the filter.' : 'No lines.' })));
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
        h('td', { 'data-label': 'Confidence' }, conf));
    }

    return {
      el,
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
        note.textContent = isDone
          ? 'Every line of the input with its answer. Filter by label, or by confidence to find the lines to check.'
          : 'The input lines. Answers and the filters appear when the job has completed.';
        back = [];
        page(0);
      },
    };
  }

  // ---------- playground ----------
  const pgState = { texts: 'I was charged twice for my subscription this month\nThe app crashes every time I open settings\nCan I get a quote for 50 seats on the enterprise plan?', labels: [
    { label: 'billing', description: 'invoices, charges, refunds and payments' },
    { label: 'technical', description: 'bugs, crashes, errors and outages' },
    { label: 'sales', description: 'pricing, quotes, plans and upgrades' }], mode: 'classify', threshold: '0.5', textType: '', classifier: '' };
  function renderPlayground(params) {
    const my = token;
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

  // ---------- saved classifiers ----------
  function renderClassifiers() {
    const my = token;
    setTitle('Saved classifiers');
    const body = h('div', { id: 'classifiers' }, h('div', { class: 'card skeleton', text: 'Loading saved classifiers…' }));
    view.append(pageHead('Saved classifiers', 'Named, versioned label sets of this account. Saving the same name again makes a new version; versions never change, and jobs name the version they used.',
      h('a', { class: 'btn', href: '#/playground', text: 'Open the playground' })), body);
    focusHeading();

    async function load() {
      let res;
      try { res = await api('GET', '/v1/classifiers'); } catch (e) {
        if (!live(my)) return;
        replace(body, h('div', { class: 'banner bad', role: 'alert', text: `Could not load saved classifiers: ${e.message}` }));
        return;
      }
      if (!live(my)) return;
      const list = (res && res.data) || [];
      if (!list.length) {
        replace(body, h('div', { class: 'card empty', id: 'classifiers-empty' }, h('h2', { text: 'No saved classifiers yet' }),
          h('p', { text: 'Save one from a job page (Save as classifier): its labels, descriptions and examples, under a name to reuse.' }),
          h('a', { class: 'btn primary', href: '#/jobs', text: 'Go to jobs' })));
        return;
      }
      replace(body, list.map(card));
    }

    function card(c) {
      const versions = h('div', { class: 'versions', hidden: true });
      let confirming = false;
      const actions = h('div', { class: 'actions' });
      const drawActs = () => replace(actions,
        h('a', { class: 'btn primary small use-clf', href: `#/new?classifier=${enc(c.ref)}`, text: 'Use in a new job' }),
        h('a', { class: 'btn small', href: `#/playground?classifier=${enc(c.ref)}`, text: 'Try in the playground' }),
        h('button', { type: 'button', class: 'btn small ghost show-versions', 'aria-expanded': String(!versions.hidden), text: versions.hidden ? `Versions (${c.versions || 1})` : 'Hide versions', onclick: toggle }),
        confirming
          ? [h('span', { class: 'muted', text: `Delete ${c.name} and its ${c.versions || 1} version(s)?` }),
            h('button', { type: 'button', class: 'btn small danger solid confirm-delete-clf', text: 'Delete', onclick: del }),
            h('button', { type: 'button', class: 'btn small ghost', text: 'Keep', onclick: () => { confirming = false; drawActs(); } })]
          : h('button', { type: 'button', class: 'btn small danger delete-clf', text: 'Delete', onclick: () => { confirming = true; drawActs(); } }));
      drawActs();
      async function del() {
        try {
          await api('DELETE', `/v1/classifiers/${enc(c.name)}`);
          toast(`Deleted ${c.name}`);
          if (live(my)) load();
        } catch (e) { toast(e.message); }
      }
      async function toggle() {
        versions.hidden = !versions.hidden;
        drawActs();
        if (versions.hidden || versions.dataset.loaded) return;
        versions.dataset.loaded = '1';
        replace(versions, h('p', { class: 'muted', text: 'Loading versions…' }));
        const n = c.versions || 1;
        const all = await Promise.all(Array.from({ length: n }, (_, i) => api('GET', `/v1/classifiers/${enc(`${c.name}@v${n - i}`)}`).catch(() => null)));
        if (!live(my)) return;
        replace(versions, h('table', { class: 'list versions-table' },
          h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Version' }), h('th', { scope: 'col', text: 'Labels' }), h('th', { scope: 'col', text: 'Saved' }), h('th', { scope: 'col', text: '' }))),
          h('tbody', null, all.filter(Boolean).map((v) => h('tr', { 'data-ref': v.ref },
            h('td', { class: 'mono', text: v.version }),
            h('td', null, labelSummary(v, 6)),
            h('td', { class: 'muted', text: ago(v.created_at), title: when(v.created_at) }),
            h('td', { class: 'num' }, h('a', { class: 'btn small', href: `#/new?classifier=${enc(v.ref)}`, text: 'Use' })))))));
      }
      const d = c.descriptions || {};
      return h('section', { class: 'card clf', 'data-name': c.name, 'aria-labelledby': `clf-${c.name}` },
        h('div', { class: 'clf-head' },
          h('div', null, h('h2', { id: `clf-${c.name}`, class: 'mono', text: c.name }),
            h('div', { class: 'sub' }, h('span', { class: 'badge pending clf-version', text: c.version }), ` ${c.versions || 1} version${(c.versions || 1) === 1 ? '' : 's'} · saved ${ago(c.created_at)}${c.mode ? ` · ${c.mode}` : ''}${c.text_type ? ` · ${c.text_type}` : ''}`)),
          actions),
        h('div', { class: 'clf-labels' }, c.labels.map((l) => h('span', { class: 'pill', title: d[l] || '', text: l }))),
        versions);
    }
    load();
  }

  // ---------- keys ----------
  function renderKeys() {
    const my = token;
    setTitle('API keys');
    const body = h('div', { id: 'keys' }, h('div', { class: 'card skeleton', text: 'Loading keys…' }));
    view.append(pageHead('API keys', 'Keys of every account on this appliance. Only hashes are stored: a new key is shown once.'), body);
    focusHeading();

    const created = h('div', { id: 'key-created' });
    const account = h('input', { type: 'text', id: 'key-account', maxlength: '64', placeholder: 'e.g. acme', autocomplete: 'off', 'aria-describedby': 'key-account-err' });
    const admin = h('input', { type: 'checkbox', id: 'key-admin' });
    const err = h('div', { class: 'err', id: 'key-account-err', role: 'alert' });
    const createBtn = h('button', { class: 'btn primary', type: 'submit', id: 'key-create', text: 'Create key' });
    const form = h('form', { class: 'card', id: 'key-form', novalidate: true, 'aria-labelledby': 'h-key-new', onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      account.classList.remove('invalid');
      createBtn.disabled = true;
      try {
        const k = await api('POST', '/v1/keys', { account: account.value.trim(), admin: admin.checked });
        if (!live(my)) return;
        const secret = h('input', { type: 'text', id: 'new-key', readOnly: true, value: k.key, 'aria-label': 'The new key' });
        replace(created, h('div', { class: 'banner info new-key', role: 'status' },
          h('p', null, h('strong', { text: `New ${k.admin ? 'admin ' : ''}key for ${k.account}. ` }), 'Copy it now: it is shown only this once.'),
          h('div', { class: 'inline-row' }, secret, h('button', { type: 'button', class: 'btn small', id: 'copy-key', text: 'Copy', onclick: async () => {
            secret.select();
            try { await navigator.clipboard.writeText(k.key); toast('Copied'); } catch (e2) { toast('Select the key and copy it (the browser refused the clipboard)'); }
          } }))));
        account.value = '';
        admin.checked = false;
        load();
      } catch (e2) {
        err.textContent = e2.message;
        account.classList.add('invalid');
        account.focus();
      } finally { createBtn.disabled = false; }
    } },
    h('h2', { id: 'h-key-new', text: 'New key' }),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'key-account', text: 'Account' }), account, err),
      h('div', { class: 'field', style: 'flex:0 0 auto' }, h('label', { class: 'check' }, admin, ' Admin key (manages keys)')),
      h('div', { class: 'field', style: 'flex:0 0 auto' }, createBtn)));

    const tbody = h('tbody');
    const table = h('table', { class: 'list stacked', id: 'keys-table' },
      h('thead', null, h('tr', null, ['Key', 'Account', 'Role', 'Created', 'Status', ''].map((t) => h('th', { scope: 'col', text: t })))), tbody);
    let confirming = '';

    async function load() {
      let res;
      try { res = await api('GET', '/v1/keys'); } catch (e) {
        if (!live(my)) return;
        if (e.status === 403) {
          replace(body, h('div', { class: 'card empty', id: 'keys-forbidden' },
            h('h2', { text: 'Managing keys needs an admin key' }),
            h('p', null, `The key in use (${apiKey().slice(0, 7)}…) is not an admin key, so it cannot list, create or revoke keys. Keys of the account "admin" are admin keys; an administrator can also run `, h('code', { text: 'classer-batch keys create --account NAME' }), ' on the appliance.'),
            h('button', { type: 'button', class: 'btn', text: 'Use another key', onclick: () => document.getElementById('forget').click() })));
          return;
        }
        replace(body, h('div', { class: 'banner bad', role: 'alert', text: `Could not load keys: ${e.message}` }));
        return;
      }
      if (!live(my)) return;
      const keys = (res && res.data) || [];
      const mine = apiKey();
      const matches = keys.filter((k) => !k.revoked_at && k.prefix && mine.startsWith(k.prefix));
      replace(tbody, keys.map((k) => {
        const isMine = matches.length === 1 && matches[0] === k;
        const revoked = !!k.revoked_at;
        let act = null;
        if (!revoked) {
          act = confirming === k.id
            ? h('span', { class: 'actions' }, h('button', { type: 'button', class: 'btn small danger solid confirm-revoke', text: 'Revoke', onclick: () => revoke(k) }),
              h('button', { type: 'button', class: 'btn small ghost', text: 'Keep', onclick: () => { confirming = ''; load(); } }))
            : h('button', { type: 'button', class: 'btn small danger revoke', text: 'Revoke', 'aria-label': `Revoke ${k.prefix}…`, onclick: () => { confirming = k.id; load(); } });
        }
        return h('tr', { 'data-key': k.id, class: revoked ? 'revoked' : '' },
          h('td', { class: 'first' }, h('span', { class: 'mono', text: `${k.prefix}…` }), isMine ? h('span', { class: 'pill', style: 'margin-left:8px', text: 'this key' }) : null, h('div', { class: 'sub mono', text: k.id })),
          h('td', { 'data-label': 'Account', text: k.account }),
          h('td', { 'data-label': 'Role' }, k.admin ? h('span', { class: 'badge processing', text: 'admin' }) : 'user'),
          h('td', { 'data-label': 'Created', text: ago(k.created_at), title: when(k.created_at) }),
          h('td', { 'data-label': 'Status' }, revoked ? h('span', { class: 'badge failed', title: when(k.revoked_at), text: 'revoked' }) : h('span', { class: 'badge completed', text: 'active' })),
          h('td', { class: 'num', 'data-label': '' }, act));
      }));
      if (!body.contains(table)) replace(body, form, created, h('div', { class: 'card flush', style: 'margin-top:16px' }, h('div', { class: 'table-wrap' }, table)));
    }
    async function revoke(k) {
      try {
        await api('DELETE', `/v1/keys/${enc(k.id)}`);
        toast(`Revoked ${k.prefix}…`);
      } catch (e) { toast(e.message); }
      confirming = '';
      if (live(my)) load();
    }
    load();
  }

  // ---------- usage ----------
  function renderUsage(params) {
    const my = token;
    setTitle('Usage');
    let days = [7, 30, 90].includes(Number(params.get('days'))) ? Number(params.get('days')) : 30;
    const body = h('div', { id: 'usage' }, h('div', { class: 'card skeleton', text: 'Loading usage…' }));
    view.append(pageHead('Usage', 'Tokens, requests and jobs of this account per day (UTC), and their cost at the appliance\'s price.'),
      h('div', { class: 'filter-bar' }, h('span', { class: 'lbl', id: 'usage-range-lbl', text: 'Range' }),
        seg('usage-range', [['7', '7 days'], ['30', '30 days'], ['90', '90 days']], String(days), (v) => {
          days = Number(v);
          setQuery('/usage', new URLSearchParams({ days: v }));
          load();
        }, 'usage-range-lbl')),
      body);
    focusHeading();
    const iso = (d) => d.toISOString().slice(0, 10);

    async function load() {
      const asked = days;
      const to = new Date();
      const from = new Date(to.getTime() - (days - 1) * 86400000);
      let res;
      try { res = await api('GET', `/v1/usage?from=${iso(from)}&to=${iso(to)}`); } catch (e) {
        if (!live(my)) return;
        replace(body, h('div', { class: 'banner bad', role: 'alert', text: `Could not load usage: ${e.message}` }));
        return;
      }
      if (!live(my) || asked !== days) return;
      // Every day of the range, with zeros where the answer lists none.
      const byDate = new Map((res.data || []).map((d) => [d.date, d]));
      const all = [];
      for (let t = Date.parse(`${res.from}T00:00:00Z`); t <= Date.parse(`${res.to}T00:00:00Z`); t += 86400000) {
        const d = iso(new Date(t));
        all.push(byDate.get(d) || { date: d, tokens: 0, realtime_tokens: 0, batch_tokens: 0, requests: 0, batch_lines: 0, jobs: 0, cost: 0 });
      }
      const tot = res.total || {};
      const stat = (k, v, id) => h('div', { class: 'stat' }, h('div', { class: 'k', text: k }), h('div', { class: 'v', id, text: v }));
      const price = res.price_per_million_tokens;
      replace(body,
        h('div', { class: 'stats' },
          stat('Tokens', num(tot.tokens), 'usage-tokens'),
          stat('Cost', money(tot.cost), 'usage-cost'),
          stat('Real-time requests', num(tot.requests)),
          stat('Batch jobs', num(tot.jobs)),
          stat('Batch lines', num(tot.batch_lines))),
        h('section', { class: 'card', 'aria-labelledby': 'h-usage-chart', style: 'margin-top:16px' },
          h('h2', { id: 'h-usage-chart', text: 'Tokens and cost per day' }),
          usageChart(body, all, price),
          h('div', { class: 'pv-legend' }, h('span', null, h('i', { class: 'sw c0' }), 'batch tokens'), h('span', null, h('i', { class: 'sw c1' }), 'real-time tokens')),
          h('p', { class: 'caption', text: `${res.from} to ${res.to}, UTC. The right axis is the cost at ${price} per million tokens (pricing.per_million_tokens).` })),
        h('section', { class: 'card flush', 'aria-labelledby': 'h-usage-days', style: 'margin-top:16px' },
          h('div', { style: 'padding:18px 20px 6px' }, h('h2', { id: 'h-usage-days', text: 'Days with usage' })),
          byDate.size ? h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'usage-table' },
            h('thead', null, h('tr', null, ['Date', 'Tokens', 'Real-time', 'Batch', 'Requests', 'Jobs', 'Batch lines', 'Cost'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : '', text: t })))),
            h('tbody', null, [...byDate.values()].sort((a, b) => (a.date < b.date ? 1 : -1)).map((d) => h('tr', { 'data-date': d.date },
              h('td', { class: 'mono', text: d.date }), h('td', { class: 'num', text: num(d.tokens) }), h('td', { class: 'num', text: num(d.realtime_tokens) }),
              h('td', { class: 'num', text: num(d.batch_tokens) }), h('td', { class: 'num', text: num(d.requests) }), h('td', { class: 'num', text: num(d.jobs) }),
              h('td', { class: 'num', text: num(d.batch_lines) }), h('td', { class: 'num', text: money(d.cost) }))))))
            : h('p', { class: 'muted', style: 'padding:0 20px 18px', text: 'No usage in this range.' })));
    }

    // usageChart: stacked bars of batch and real-time tokens per day; the right axis reads
    // the same heights as cost (cost is tokens at one price).
    function usageChart(container, all, price) {
      const avail = container.clientWidth || 900;
      const W = Math.max(300, Math.min(1150, avail - 40)), H = 240, P = { l: 48, r: 56, t: 14, b: 30 };
      const max = Math.max(1, ...all.map((d) => d.tokens));
      const bw = (W - P.l - P.r) / all.length;
      const y = (v) => P.t + (H - P.t - P.b) * (1 - v / max);
      const svg = s('svg', { class: 'hist usage-chart', id: 'usage-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
        'aria-label': `Tokens per day: ${all.filter((d) => d.tokens).map((d) => `${d.date}: ${d.tokens}`).join(', ') || 'none'}` });
      for (const f of [0, 0.5, 1]) {
        const v = max * f;
        svg.append(s('line', { class: 'axis', x1: P.l, x2: W - P.r, y1: y(v), y2: y(v) }),
          s('text', { x: P.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, compact(Math.round(v))),
          s('text', { x: W - P.r + 6, y: y(v) + 4, 'text-anchor': 'start' }, money((v * price) / 1e6)));
      }
      const tick = Math.ceil(all.length / 10);
      all.forEach((d, i) => {
        const x = P.l + i * bw + Math.min(3, bw * 0.15);
        const w = Math.max(1, bw - 2 * Math.min(3, bw * 0.15));
        const g = s('g', { class: 'day', 'data-date': d.date, 'data-tokens': d.tokens, 'data-cost': d.cost });
        const hb = (H - P.b) - y(d.batch_tokens);
        const hr = y(d.batch_tokens) - y(d.batch_tokens + d.realtime_tokens);
        if (d.batch_tokens) g.append(s('rect', { class: 'bar batch', x, y: y(d.batch_tokens), width: w, height: Math.max(1, hb) }));
        if (d.realtime_tokens) g.append(s('rect', { class: 'bar realtime', x, y: y(d.batch_tokens + d.realtime_tokens), width: w, height: Math.max(1, hr) }));
        g.append(s('rect', { class: 'hit', x: P.l + i * bw, y: P.t, width: bw, height: H - P.t - P.b },
          s('title', {}, `${d.date}: ${num(d.tokens)} tokens (batch ${num(d.batch_tokens)}, real-time ${num(d.realtime_tokens)}) · cost ${money(d.cost)}`)));
        svg.append(g);
        if (i % tick === 0 || i === all.length - 1) svg.append(s('text', { x: P.l + i * bw + bw / 2, y: H - P.b + 16, 'text-anchor': 'middle' }, d.date.slice(5)));
      });
      return svg;
    }
    load();
  }

  window.addEventListener('hashchange', route);
  route();
})();
