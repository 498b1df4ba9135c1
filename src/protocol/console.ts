import { z } from 'zod';

/**
 * The host console's part of the runner protocol. Console bytes cross the socket base64-encoded
 * (they are a serial line's bytes, not text). `console.open` subscribes the client: it then gets
 * `console.data` and `console.state` notifications for that host until `console.close` or it leaves.
 * Keyboard input needs the keyboard, taken explicitly; read-only clients can do neither.
 */
const host = z.string().min(1).max(63);
const taskId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a task id like t-1a2b3c4d');
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

/** `elsewhere`: another jump host of the site holds the BMC's one SOL session (`heldBy` says which). */
export const CONSOLE_STATES = ['connecting', 'open', 'unavailable', 'elsewhere', 'closed'] as const;

export const consoleStateSchema = z.object({
  host: z.string(),
  state: z.enum(CONSOLE_STATES),
  /** Why the console is unavailable (the BMC's refusal, a lost session…). */
  error: z.string().optional(),
  hint: z.string().optional(),
  /** The jump host holding the console, while the state is `elsewhere`. */
  heldBy: z.string().optional(),
  /** Who types: this client, another one, or nobody. */
  keyboard: z.enum(['you', 'other', 'none']),
  viewers: z.number(),
});
export type ConsoleState = z.infer<typeof consoleStateSchema>;

export const CONSOLE_METHODS = {
  /** Watch a host's console: its scrollback now, then `console.data` notifications. */
  'console.open': {
    params: z.object({ host }),
    result: z.object({ scrollback: base64, state: consoleStateSchema }),
  },
  'console.close': { params: z.object({ host }), result: z.object({}).strict() },
  /** One read: the scrollback, or a task's recording. */
  'console.read': {
    params: z.object({ host, task: taskId.optional() }),
    result: z.object({ data: base64, source: z.enum(['scrollback', 'recording']) }),
  },
  /** Take (or give back) the keyboard of a console this client watches. */
  'console.keyboard': {
    params: z.object({ host, take: z.boolean() }),
    result: consoleStateSchema,
    mutates: true,
  },
  /** Keys for the host, from the keyboard's holder only. */
  'console.input': {
    params: z.object({
      host,
      data: base64.max(4096, 'at most 3 KiB of keys at once'),
      break: z.boolean().optional(),
    }),
    result: z.object({}).strict(),
    mutates: true,
  },
} as const;

/** Console bytes for a client, batched across hosts (a dashboard may watch many at once). */
export const CONSOLE_DATA_NOTIFICATION = 'console.data';
export const consoleDataSchema = z.object({ items: z.array(z.object({ host: z.string(), data: base64 })) });
export type ConsoleData = z.infer<typeof consoleDataSchema>;
export const CONSOLE_STATE_NOTIFICATION = 'console.state';
