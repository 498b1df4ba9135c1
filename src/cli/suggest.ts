import { distance } from 'fastest-levenshtein';

/**
 * The known words closest to a mistyped one: a word it begins (`dep` → deploy) or one a couple
 * of typing slips away (`folow` → follow, `--detatch` → --detach). Nothing when no word is near:
 * a wrong suggestion is worse than none.
 */
export function closeWords(typed: string, known: readonly string[]): string[] {
  const t = typed.toLowerCase();
  if (!t.replace(/^-+/, '')) return [];
  const prefixed = known.filter((k) => k.startsWith(t) && t.replace(/^-+/, '').length >= 2);
  if (prefixed.length) return prefixed.slice(0, 3);
  const limit = Math.max(1, Math.floor(t.replace(/^-+/, '').length / 3));
  return known
    .map((k) => ({ k, d: distance(t, k.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.k);
}

/** " — did you mean X?" (or "X or Y?"), or "" when nothing is close. */
export function didYouMean(typed: string, known: readonly string[]): string {
  const near = closeWords(typed, known);
  if (!near.length) return '';
  return `; did you mean ${near.length === 1 ? near[0] : `${near.slice(0, -1).join(', ')} or ${near.at(-1)}`}?`;
}
