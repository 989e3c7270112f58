// classer-batch console: plain JavaScript modules, no build step, no network access beyond the
// appliance's own API (and the signed upload/download URLs it hands out). This entry
// routes "#/path?query" addresses to the pages and asks for a key first.

import { h } from './dom.js';
import { KEY_STORE, api, apiKey, onUnauthorized } from './api.js';
import { newPage, parseHash, setTitle, view } from './page.js';
import { renderJobs } from './jobs.js';
import { forgetModels } from './spec.js';
import { renderNew } from './newjob.js';
import { renderJob } from './job.js';
import { pgState, renderPlayground } from './playground.js';
import { renderClassifiers } from './classifiers.js';
import { renderKeys } from './keys.js';
import { renderUsage } from './usage.js';
import { isAdmin, renderSystem } from './system.js';

let gateMessage = '';
onUnauthorized((message) => {
  gateMessage = message;
  route();
});

function route() {
  newPage();
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
  const sysNav = document.getElementById('nav-system');
  sysNav.hidden = true;
  if (!key) return renderGate();
  isAdmin().then((yes) => { if (apiKey() === key) sysNav.hidden = !yes; });
  const m = path.match(/^\/job\/([A-Za-z0-9_-]+)$/);
  if (m) return renderJob(m[1]);
  switch (path) {
    case '/new': return renderNew(params);
    case '/playground': return renderPlayground(params);
    case '/jobs': return renderJobs(params);
    case '/classifiers': return renderClassifiers();
    case '/keys': return renderKeys();
    case '/usage': return renderUsage(params);
    case '/system': return renderSystem();
    default: location.replace('#/jobs');
  }
}

// The key gate: no page shows until a key is accepted.
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
  forgetModels();
  route();
});

window.addEventListener('hashchange', route);
route();
