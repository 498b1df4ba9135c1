import stringWidth from 'string-width';

/** Pure text helpers for fixed-width terminal columns, measured in terminal cells (string-width). */

const PLAIN = /^[\x20-\x7e]*$/;

export function width(text: string): number {
  return PLAIN.test(text) ? text.length : stringWidth(text);
}

/** Cut to at most `cells` cells (no ellipsis). */
function cut(text: string, cells: number): string {
  if (PLAIN.test(text)) return text.slice(0, cells);
  let out = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    const w = stringWidth(segment);
    if (used + w > cells) break;
    out += segment;
    used += w;
  }
  return out;
}

/** Exactly `cells` cells: padded, or cut with an ellipsis. */
export function fit(text: string, cells: number): string {
  if (cells <= 0) return '';
  const w = width(text);
  if (w > cells) {
    if (cells === 1) return '…';
    const head = cut(text, cells - 1);
    return head + '…' + ' '.repeat(cells - 1 - width(head));
  }
  return text + ' '.repeat(cells - w);
}

export function fitRight(text: string, cells: number): string {
  const w = width(text);
  return w > cells ? fit(text, cells) : ' '.repeat(cells - w) + text;
}

/** Compact age: 45s, 3m, 2h05m, 3d04h. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}

/** A running task's elapsed time, to the second at any length: 45s, 3m07s, 1h02m07s. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const ss = String(s % 60).padStart(2, '0');
  if (m < 60) return `${m}m${ss}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m${ss}s`;
}

/** Local wall-clock time, HH:MM:SS, for "since" in the header. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
