import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Box, Text } from 'ink';
import { render } from 'ink-testing-library';

// The patch in patches/ink+8.0.0.patch (applied by npm install through patch-package): Ink's
// output caches outlive a frame. Ink's package exports only its entry, so the module is loaded
// from its file.
const inkDir = dirname(createRequire(import.meta.url).resolve('ink'));
interface Caches {
  getStyledChars(line: string): unknown[];
}
interface OutputLike {
  caches: Caches;
  write(x: number, y: number, text: string, options: { transformers: unknown[] }): void;
  get(): { output: string };
}
const { default: Output } = (await import(pathToFileURL(join(inkDir, 'output.js')).href)) as {
  default: new (o: { width: number; height: number }) => OutputLike;
};

const frame = (lines: string[]) => {
  const out = new Output({ width: 20, height: lines.length });
  lines.forEach((l, y) => out.write(0, y, l, { transformers: [] }));
  return { out, text: out.get().output };
};

describe("Ink's output caches (patched): a frame reuses what the frame before it tokenized", () => {
  it('a line unchanged since the last frame is not tokenized again; one unused for a frame is dropped', () => {
    const first = frame(['\u001b[31mred\u001b[39m row', 'other']);
    const tokenized = first.out.caches.getStyledChars('\u001b[31mred\u001b[39m row');
    // The next frame is a new Output, as Ink makes one per frame: same line, same cached cells.
    const second = frame(['\u001b[31mred\u001b[39m row', 'changed']);
    expect(second.out.caches.getStyledChars('\u001b[31mred\u001b[39m row')).toBe(tokenized);
    // Two frames without it: gone, so the caches hold about two frames, not every line ever drawn.
    frame(['a']);
    const fourth = frame(['b']);
    expect(fourth.out.caches.getStyledChars('\u001b[31mred\u001b[39m row')).not.toBe(tokenized);
  });

  it('frames drawn from the shared caches are the frames Ink draws afresh', () => {
    const Screen = ({ n }: { n: number }) => (
      <Box flexDirection="column" width={24} height={4} overflow="hidden">
        <Text wrap="truncate">
          <Text color="green">{n % 2 ? 'Deployed' : 'Ready'}</Text> 機械{n} end of a long line that is cut
        </Text>
        <Text inverse>{'row '.repeat(n)}</Text>
      </Box>
    );
    const live = render(<Screen n={1} />);
    for (const n of [2, 3, 2, 1, 4]) {
      live.rerender(<Screen n={n} />);
      const fresh = render(<Screen n={n} />);
      expect(live.lastFrame()).toBe(fresh.lastFrame());
      fresh.unmount();
    }
    expect(live.lastFrame()).toContain('Ready');
    live.unmount();
  });
});
