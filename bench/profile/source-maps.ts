/**
 * Frames of a bundle (`dist/`, which the runner and the single executable run) named by the
 * source file they were bundled from, through the bundle's `.map` beside it: without it a runner
 * profile says only "dist".
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallFrame } from './shares.ts';

/** Resolves frames through the source maps found beside their files; frames without one are kept. */
export function sourceMapResolver(): (frame: CallFrame) => CallFrame {
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (url: string): SourceMap | null => {
    let map = maps.get(url);
    if (map !== undefined) return map;
    map = null;
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (path.startsWith('/') && existsSync(`${path}.map`))
      map = new SourceMap(
        JSON.parse(readFileSync(`${path}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0],
      );
    maps.set(url, map);
    return map;
  };
  return (frame) => {
    const map = frame.url && frame.lineNumber !== undefined ? mapOf(frame.url) : null;
    if (!map) return frame;
    const entry = map.findEntry(frame.lineNumber!, frame.columnNumber ?? 0);
    if (!('originalSource' in entry) || !entry.originalSource) return frame;
    const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    const source = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : resolve(dirname(path), entry.originalSource);
    return { ...frame, url: source };
  };
}
