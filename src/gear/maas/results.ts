import { z } from 'zod';

/**
 * `GET nodes/{system_id}/results/current-installation/?include_output=1` (MaaS's
 * NodeScriptResultHandler): the installation script set, whose one result is curtin's install log;
 * with include_output its output, stdout and stderr come base64-encoded.
 */
export const ScriptResultSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.number().int(),
  status_name: z.string(),
  exit_status: z.number().int().nullable(),
  started: z.string().nullable(),
  ended: z.string().nullable(),
  output: z.string().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
});

export const ScriptSetSchema = z.object({
  id: z.number().int(),
  system_id: z.string(),
  type: z.number().int(),
  type_name: z.string(),
  last_ping: z.string().nullable(),
  results: z.array(ScriptResultSchema),
});
export type MaasScriptSet = z.infer<typeof ScriptSetSchema>;

/** The decoded combined output of a script set's results (curtin's log), or '' when none was sent. */
export function scriptSetOutput(set: MaasScriptSet): string {
  return set.results.map((r) => (r.output ? Buffer.from(r.output, 'base64').toString('utf8') : '')).join('');
}
