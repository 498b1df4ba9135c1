/**
 * Redfish's error body (DMTF DSP0266 "Error responses"): `{"error": {"code", "message",
 * "@Message.ExtendedInfo": [{MessageId, Message, Resolution, Severity}]}}`; a successful answer may
 * carry `@Message.ExtendedInfo` at its top level too. Pure: turns either into lines to show.
 */
export interface ExtendedMessage {
  messageId: string;
  message: string;
  resolution?: string;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

/** Printable, one line, bounded: a BMC's text reaches the operator's terminal. */
export function cleanText(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const one = s
    .replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function infoList(v: unknown): ExtendedMessage[] {
  if (!Array.isArray(v)) return [];
  const out: ExtendedMessage[] = [];
  for (const m of v) {
    if (typeof m !== 'object' || m === null) continue;
    const r = m as Record<string, unknown>;
    const message = str(r['Message']);
    const messageId = str(r['MessageId']) ?? '';
    if (!message && !messageId) continue;
    const resolution = str(r['Resolution']);
    out.push({
      messageId: cleanText(messageId, 120),
      message: cleanText(message ?? messageId),
      ...(resolution && { resolution: cleanText(resolution) }),
    });
  }
  return out;
}

/** Every message of an error or success body, the top-level `error.message` first when it adds anything. */
export function extendedMessages(body: unknown): ExtendedMessage[] {
  if (typeof body !== 'object' || body === null) return [];
  const b = body as Record<string, unknown>;
  const err =
    typeof b['error'] === 'object' && b['error'] !== null
      ? (b['error'] as Record<string, unknown>)
      : undefined;
  const list = [...infoList(err?.['@Message.ExtendedInfo']), ...infoList(b['@Message.ExtendedInfo'])];
  const top = str(err?.['message']);
  const code = str(err?.['code']) ?? '';
  // "A general error has occurred. See ExtendedInfo for more information." says nothing by itself.
  if (top && (list.length === 0 || !/see extendedinfo/i.test(top))) {
    list.unshift({ messageId: cleanText(code, 120), message: cleanText(top) });
  }
  return list;
}

/** One line: `Message (MessageId) — Resolution; next message…`, or undefined when the body has none. */
export function describeMessages(messages: readonly ExtendedMessage[]): string | undefined {
  if (messages.length === 0) return undefined;
  return messages
    .map((m) => {
      const id = m.messageId && m.messageId !== m.message ? ` (${m.messageId})` : '';
      return `${m.message}${id}${m.resolution ? ` — ${m.resolution}` : ''}`;
    })
    .join('; ');
}
