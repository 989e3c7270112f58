// What every page shares: the view element, the current page's token and timers,
// the address's query, titles and headings, and the toast.

import { h } from './dom.js';

export const view = document.getElementById('view');

let toastTimer = 0;
export function toast(msg) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 3200);
}

// Each render gets a token; async work checks it before touching the DOM, and timers
// registered with every() stop when the route changes.
let token = 0;
let timers = [];
// newPage ends the last page's work: its token goes stale and its timers stop.
export function newPage() {
  token++;
  timers.forEach((f) => f());
  timers = [];
}
// current is the token of the page being rendered, for live() to check later.
export const current = () => token;
// leave ends the current page's work without rendering another (a page now showing an error).
export function leave() { token++; }
// every runs fn now and then again after ms (a number, or a func asked after each run,
// so the interval follows what fn saw), until the route changes.
export function every(ms, fn) {
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
export const live = (my) => my === token;

// Routes are "#/path?query"; the query keeps a page's state (a filter, a prefill).
export function parseHash() {
  const raw = (location.hash || '#/jobs').slice(1);
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}
// setQuery records a page's state in the address without re-rendering the page.
export function setQuery(path, params) {
  const q = params.toString();
  history.replaceState(null, '', `#${path}${q ? `?${q}` : ''}`);
}

export function setTitle(t) { document.title = t ? `${t} · classer-batch` : 'classer-batch'; }
export function focusHeading() {
  const h1 = view.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
}
export function pageHead(title, intro, ...actions) {
  return h('div', { class: 'head' },
    h('div', null, h('h1', { text: title }), intro ? h('p', null, intro) : null),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}
