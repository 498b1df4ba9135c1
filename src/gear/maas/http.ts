/**
 * The `fetch` that ky calls for MaaS: undici's request API on a keep-alive Agent of its own.
 *
 * Node's built-in fetch runs the whole WHATWG fetch algorithm per call (header guards, body
 * streams both ways, response tainting); a MaaS call is a small form POST or GET on a
 * connection that is already open, and that algorithm was most of the client's cost per call
 * (`npm run bench -- workflows`: about 0.2 ms of CPU per request on this machine). ky keeps its
 * job (retries, deadlines, hooks, HTTP errors); this is only the transport under it, and it
 * behaves as fetch does where ky and the client can tell:
 * - a network failure rejects with `TypeError('fetch failed', { cause })` (ky's NetworkError);
 * - an aborted request rejects with its signal's reason;
 * - redirects are followed (as `redirect: 'follow'`);
 * - the body is a stream read as it arrives, so a huge answer is never held whole and one left
 *   unread (an HTML page) is cancelled without being read.
 */
import type { Readable } from 'node:stream';
import { Agent, interceptors, type Dispatcher } from 'undici';

/** As many redirects as fetch follows. */
const MAX_REDIRECTS = 20;

/** Statuses whose answer has no body (a Response refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

let shared: Dispatcher | undefined;

/** One Agent for every MaaS client of the process, as fetch shares its global dispatcher. */
function maasDispatcher(): Dispatcher {
  shared ??= new Agent().compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
  return shared;
}

export function undiciFetch(dispatcher: Dispatcher = maasDispatcher()): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : null;
    let answer: Dispatcher.ResponseData;
    try {
      answer = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: request.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: request.signal,
      });
    } catch (err) {
      if (request.signal.aborted) throw request.signal.reason;
      throw new TypeError('fetch failed', { cause: err });
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
      else responseHeaders.set(name, value);
    }
    if (NULL_BODY.has(answer.statusCode)) {
      await answer.body.dump();
      return new Response(null, { status: answer.statusCode, headers: responseHeaders });
    }
    return new Response(webStream(answer.body), { status: answer.statusCode, headers: responseHeaders });
  };
}

/**
 * The answer's body as a web stream, read only as fast as it is consumed. Node's `Readable.toWeb`
 * can enqueue a chunk after the reader cancelled (an uncaught ERR_INVALID_STATE); this one stops
 * listening the moment it is cancelled, closed or errored.
 */
function webStream(body: Readable): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      body.on('data', (chunk: Buffer) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) body.pause();
      });
      body.once('end', () => {
        if (open) controller.close();
        open = false;
      });
      body.once('error', (err) => {
        if (open) controller.error(err);
        open = false;
      });
      body.pause();
    },
    pull() {
      body.resume();
    },
    cancel() {
      open = false;
      body.destroy();
    },
  });
}
