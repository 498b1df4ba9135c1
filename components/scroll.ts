/** The arithmetic of a scrolled window of lines, shared by every view that scrolls. */

/** The first line shown at `offset`, kept so that the last screenful stays full. */
export function clampOffset(offset: number, total: number, room: number): number {
  return Math.max(0, Math.min(offset, total - room));
}

/** Where the window is: "lines 4–20 of 33" (or of what else it shows: "hosts 4–20 of 33"). */
export function linesWhere(start: number, shown: number, total: number, what = 'lines'): string {
  return `${what} ${start + 1}–${start + shown} of ${total}`;
}
