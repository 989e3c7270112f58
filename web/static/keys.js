// API keys (#/keys): admin create, list and revoke.

import { h, replace } from './dom.js';
import { ago, when } from './format.js';
import { api, apiKey, enc } from './api.js';
import { current, focusHeading, live, pageHead, setTitle, toast, view } from './page.js';

export function renderKeys() {
  const my = current();
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
