// Facts about a job for display: title, file, status badge, progress, rate, labels.

import { h } from './dom.js';
import { num } from './format.js';

export const done = (j) => (j.requests_completed || 0) + (j.requests_failed || 0);
export const badge = (status) => h('span', { class: `badge ${status}`, text: status });
export const jobTitle = (j) => (j.name ? j.name : j.job_id);
export const specOf = (j) => j.spec || {};
// has_input comes from the store: an upload to S3 goes straight to the bucket, so the
// appliance knows no file name for it, and a refused upload leaves a name but no file.
export const hasFile = (j) => !!j.has_input || j.status !== 'pending';
// fileText names the job's input for display ('' when there is none): its name when
// the appliance saw the upload; an upload straight to S3 gives it none.
export const fileText = (j) => (hasFile(j) ? j.input_filename || 'uploaded file' : '');

// Label colours: one of ten, by the label's place in its spec, so a label keeps its
// colour on every chart of the page.
export const swatch = (i) => `c${i % 10}`;

// labelSummary: the first labels as pills, then "+N".
export function labelSummary(spec, max = 3) {
  const labels = spec.labels || [];
  if (!labels.length) return spec.classifier ? h('span', { class: 'muted', text: spec.classifier }) : h('span', { class: 'muted', text: '—' });
  return h('span', { class: 'label-sum' }, labels.slice(0, max).map((l) => h('span', { class: 'pill', text: l })),
    labels.length > max ? h('span', { class: 'muted', text: ` +${labels.length - max}` }) : null);
}

// Throughput from the last ~10 s of polls while processing (resumed jobs and clock skew
// make started_at unreliable), else the average over the run.
const samples = new Map();
export function rate(j) {
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
export function timeLeft(j, r) {
  if (j.status !== 'processing' || !j.requests_total || !r) return null;
  return (j.requests_total - done(j)) / r;
}
export function progressFrac(j) {
  if (j.status === 'completed') return 1;
  return j.requests_total ? Math.min(1, done(j) / j.requests_total) : 0;
}
export function meter(j, big) {
  const f = progressFrac(j);
  return h('div', { class: `meter ${j.status}${big ? ' big' : ''}`, role: 'progressbar', 'aria-label': 'Progress', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(f * 100)) },
    h('i', { style: `width:${(f * 100).toFixed(1)}%` }));
}
export function tokensText(j) {
  if (j.actual_tokens != null) return num(j.actual_tokens);
  return j.estimated_tokens ? `~${num(j.estimated_tokens)}` : '—';
}
