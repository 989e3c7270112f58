// Saved classifiers (#/classifiers): versions, use in a new job or the playground.

import { h, replace } from './dom.js';
import { ago, when } from './format.js';
import { api, enc } from './api.js';
import { current, focusHeading, live, pageHead, setTitle, toast, view } from './page.js';
import { labelSummary } from './jobutil.js';

export function renderClassifiers() {
  const my = current();
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
