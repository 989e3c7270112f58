// Uploading a job's input: file checks, the drop zone, progress and the upload itself,
// shared by the new-job form and a pending job's page.

import { h } from './dom.js';
import { bytes, pct } from './format.js';
import { ApiError } from './api.js';

// notNDJSON judges a file's first bytes as a local upload does (batch.CheckNDJSON): the
// first non-blank character must be '{', or the file gzip or zstd. It answers the reason
// when the file plainly is not NDJSON, else ''. On S3 the upload never passes the
// appliance, so this is the only check before start.
export async function notNDJSON(f) {
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

export function checkFirstLine(t) {
  const first = t.replace(/^\uFEFF/, '').split('\n').find((l) => l.trim());
  try { const o = JSON.parse(first || ''); if (typeof o.text !== 'string') return 'the first line has no "text" field'; } catch (e) { return 'the first line is not JSON'; }
  return '';
}

// fileDrop wraps a file input in a drop zone; onPick gets the chosen file.
export function fileDrop(fileInput, onPick) {
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

export function uploadProgress() {
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
export function uploadFile(job, file, onProgress) {
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
export function unreachable(what, url) {
  let origin = '';
  try { origin = new URL(url, location.href).origin; } catch (e) { /* named below by its URL */ }
  if (origin === location.origin) return `${what} could not reach the storage (network error).`;
  return `${what} could not reach the storage at ${origin || url} (network error). On S3 storage this page uploads to the bucket and reads results from it directly, ` +
    `so the bucket must let this page's origin (${location.origin}) POST and GET: add a CORS rule to the bucket (see the README, "MinIO / S3").`;
}

// Upload targets of jobs created in this tab whose upload did not finish (the job page
// can retry with them while they are valid).
export const pendingUploads = new Map();
