// DOM helpers: build elements (h, s) and small widgets shared by the pages.

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'htmlFor', 'type', 'accept', 'readOnly']);
export function h(tag, props, ...kids) {
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
export function add(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k == null || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}
const SVGNS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  add(el, kids);
  return el;
}
export function replace(el, ...kids) { el.replaceChildren(); add(el, kids); }

let uid = 0;
export const nextId = (p) => `${p}-${++uid}`;

// A labelled segmented radio control.
export function seg(name, options, value, onchange, labelledby) {
  return h('div', { class: 'seg', role: 'radiogroup', 'aria-labelledby': labelledby || null }, options.map(([v, text]) =>
    h('label', null, h('input', { type: 'radio', name, value: v, checked: v === value, onchange: () => onchange(v) }), h('span', { text }))));
}
