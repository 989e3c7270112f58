// The cluster section of the System page (admin keys, cluster mode): GET /v1/cluster, the
// processes that share the work (serve nodes and workers), their slots, which holds the
// sweeper, which are lost, and the work queue's depth. A single node answers 501 and the
// section stays hidden.

import { h, replace } from './dom.js';
import { ago, num, when } from './format.js';
import { api } from './api.js';

// clusterSection returns the section and the function that (re)loads it; live tells
// whether the page that asked is still the one shown.
export function clusterSection(live) {
  const el = h('section', { class: 'card', id: 'cluster', 'aria-labelledby': 'h-cluster', hidden: true });
  async function load() {
    let c;
    try {
      c = await api('GET', '/v1/cluster');
    } catch (e) {
      if (!live()) return;
      el.hidden = e.status === 501 || e.status === 403;
      replace(el, h('h2', { id: 'h-cluster', text: 'Cluster' }),
        h('div', { class: 'banner bad', role: 'alert', text: `Could not load the cluster: ${e.message}` }));
      return;
    }
    if (!live()) return;
    const procs = c.processes || [];
    const item = (k, v, idv) => h('div', null, h('dt', { text: k }), h('dd', { id: idv, text: v }));
    const slots = procs.filter((p) => !p.lost).reduce((n, p) => n + p.slots, 0);
    const busy = procs.filter((p) => !p.lost).reduce((n, p) => n + p.busy, 0);
    el.hidden = false;
    replace(el, h('h2', { id: 'h-cluster', text: 'Cluster' }),
      h('dl', { class: 'times facts', id: 'cluster-facts' },
        item('Answered by', c.node, 'cluster-node'),
        item('State leader', c.state_leader || '—', 'cluster-leader'),
        item('Worker slots', `${num(busy)} busy of ${num(slots)}`, 'cluster-slots'),
        item('Shards waiting', num(c.queued), 'cluster-queued'),
        item('Shards held by a worker', num(c.in_flight), 'cluster-in-flight')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'list stacked', id: 'cluster-nodes' },
        h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Process' }), h('th', { scope: 'col', text: 'Role' }),
          h('th', { scope: 'col', class: 'num', text: 'Busy / slots' }), h('th', { scope: 'col', text: 'State' }))),
        h('tbody', null, procs.map((p) => h('tr', { 'data-node': p.node, 'data-kind': p.kind, 'data-lost': String(p.lost) },
          h('td', { class: 'first', 'data-label': 'Process' }, h('b', { text: p.node }),
            p.sweeper ? h('span', { class: 'muted', text: ' (sweeper)' }) : null),
          h('td', { 'data-label': 'Role', text: p.kind === 'worker' ? 'worker' : 'serve node' }),
          h('td', { class: 'num', 'data-label': 'Busy / slots', text: `${num(p.busy)} / ${num(p.slots)}` }),
          h('td', { 'data-label': 'State', title: when(p.seen) },
            p.lost ? h('span', { class: 'badge failed', text: 'lost' }) : h('span', { class: 'badge completed', text: 'up' }),
            h('div', { class: 'sub', text: `heartbeat ${ago(p.seen)}` }))))))));
  }
  return { el, load };
}
