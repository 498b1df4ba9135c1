import { JSONParser } from '@streamparser/json';
import type { z } from 'zod';

/** Why an answer read element by element is not what was asked for. */
export class ArrayAnswerError extends Error {
  constructor(
    /** `not-json`: not JSON at all (an HTML page, a proxy's text); `invalid`: JSON of the wrong shape. */
    readonly kind: 'not-json' | 'invalid',
    message: string,
    /** The answer's first bytes, to tell an HTML page from broken JSON. */
    readonly head: string,
  ) {
    super(message);
  }
}

const HEAD_BYTES = 256;

/**
 * A JSON array answer parsed and validated one element at a time as its bytes arrive. MaaS's
 * machine list is about 6.7 KB per machine, 66 MB at 10,000: read whole, it is held at once as
 * bytes, as text and as one parsed tree (300 MB and more of a runner's memory); read this way, only
 * the validated elements stay.
 */
export class JsonArrayReader<T> {
  private readonly parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  private readonly items: T[] = [];
  private head = '';
  private checkedRoot = false;

  constructor(private readonly element: z.ZodType<T>) {
    this.parser.onValue = ({ value, key }) => {
      const parsed = this.element.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = [key, ...(issue?.path ?? [])].join('.');
        throw new ArrayAnswerError('invalid', `${where}: ${issue?.message ?? 'invalid'}`, this.head);
      }
      this.items.push(parsed.data);
    };
  }

  write(chunk: Uint8Array): void {
    if (this.head.length < HEAD_BYTES)
      this.head += Buffer.from(chunk.subarray(0, HEAD_BYTES)).toString('utf8');
    if (!this.checkedRoot) this.checkRoot();
    if (this.parser.isEnded) {
      // After the array, only white space (a trailing newline) may follow.
      if (Buffer.from(chunk).toString('utf8').trim() === '') return;
      throw new ArrayAnswerError('not-json', 'more after the end of the JSON', this.head);
    }
    try {
      this.parser.write(chunk);
    } catch (err) {
      throw err instanceof ArrayAnswerError ? err : new ArrayAnswerError('not-json', String(err), this.head);
    }
  }

  /** The elements, once the answer has ended; a cut-off answer is not a list. */
  end(): T[] {
    if (!this.checkedRoot) this.checkRoot();
    if (!this.parser.isEnded) {
      throw new ArrayAnswerError('not-json', 'the answer ends before its JSON does', this.head);
    }
    return this.items;
  }

  /** The root must be an array: an object's members would otherwise pass for elements. */
  private checkRoot(): void {
    const first = this.head.trimStart()[0];
    if (first === undefined) return;
    this.checkedRoot = true;
    if (first === '[') return;
    if (first === '{' || first === '"' || /[-\dtfn]/.test(first)) {
      throw new ArrayAnswerError('invalid', '(root): expected an array', this.head);
    }
    throw new ArrayAnswerError('not-json', 'not JSON', this.head);
  }
}
