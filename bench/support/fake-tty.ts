import { EventEmitter } from 'node:events';

/** A terminal for Ink outside ink-testing-library: sized, counting what was written. */
export class FakeTty extends EventEmitter {
  isTTY = true;
  bytes = 0;
  frames = 0;
  last = '';
  constructor(
    public columns = 200,
    public rows = 50,
  ) {
    super();
  }
  // Ink waits for the write callback before it settles waitUntilExit.
  write = (s: string, encodingOrCb?: unknown, cb?: unknown) => {
    this.bytes += s.length;
    this.frames++;
    this.last = s;
    const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  };
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  press(s: string) {
    this.data = s;
    this.emit('readable');
    this.emit('data', s);
  }
}
