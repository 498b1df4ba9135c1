/**
 * MaaS reads mutating ops' parameters from an `application/x-www-form-urlencoded` body, lists as
 * repeated fields (`mac_addresses=a&mac_addresses=b`, `parents=1&parents=2`) — never JSON, never `x[]`.
 */
export type FormScalar = string | number | boolean;
export type FormValue = FormScalar | readonly FormScalar[] | undefined | null;
export type FormFields = Readonly<Record<string, FormValue>>;

function scalar(v: FormScalar): string {
  // Django's boolean fields accept "true"/"false".
  return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
}

/** Undefined and null fields are left out, so MaaS applies its own default. */
export function encodeForm(fields: FormFields): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const v of value as readonly FormScalar[]) out.append(key, scalar(v));
    } else {
      out.append(key, scalar(value as FormScalar));
    }
  }
  return out;
}
