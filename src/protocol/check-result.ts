import type { Result } from './messages.ts';

/** One item of `rackpilot check`: what was tried, how it went, and for a failure what to do. */
export type SiteCheck = Result<'site.check'>['checks'][number];

export const passed = (id: string, title: string, detail: string): SiteCheck => ({
  id,
  title,
  state: 'pass',
  detail,
});

export const failed = (id: string, title: string, detail: string, fix: string): SiteCheck => ({
  id,
  title,
  state: 'fail',
  detail,
  fix,
});

/** Not tried: it does not apply here, or an earlier failure makes it meaningless. */
export const skipped = (id: string, title: string, detail: string): SiteCheck => ({
  id,
  title,
  state: 'skip',
  detail,
});
