// Formatting of numbers, sizes, durations, dates and costs for display.

const nf = new Intl.NumberFormat('en-US');
export const num = (n) => (n == null ? '—' : nf.format(n));
export const pct = (x) => `${(x * 100).toFixed(x > 0 && x < 0.01 ? 1 : 0)}%`;
export function bytes(n) {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i && n < 10 ? 1 : 0)} ${u[i]}`;
}
export function duration(sec) {
  if (sec == null || !isFinite(sec)) return '—';
  if (sec < 1) return 'under 1s';
  sec = Math.round(sec);
  if (sec < 60) return `${sec}s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m}m ${String(sec % 60).padStart(2, '0')}s`;
  const hr = Math.floor(m / 60);
  return `${hr}h ${String(m % 60).padStart(2, '0')}m`;
}
export function ago(iso) {
  if (!iso) return '—';
  const sec = (Date.now() - Date.parse(iso)) / 1000;
  if (sec < 45) return 'just now';
  if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
export const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—');
export const rateText = (r) => (r == null ? '—' : `${r >= 100 ? nf.format(Math.round(r)) : r.toFixed(1)} lines/s`);
export const conf2 = (c) => (c == null ? '—' : c.toFixed(2));
// Costs are small numbers in the configured unit: enough digits to tell days apart.
export function money(x) {
  if (x == null) return '—';
  if (x === 0) return '0';
  if (x >= 100) return nf.format(Math.round(x));
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}
export function compact(n) {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}
