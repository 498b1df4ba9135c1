import type { z } from 'zod';

/** The first problem of a failed parse as `path.to.field: message`, for an operator or a log. */
export function describeZodIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.length ? issue.path.map(String).join('.') : '(message)';
  return `${path}: ${issue.message}`;
}
