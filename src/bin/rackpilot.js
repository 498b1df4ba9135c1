#!/usr/bin/env node
// The published entry point. It runs the bundle in dist/ while it is fresh (`npm install` builds
// it), else the TypeScript sources through tsx's loader, so a checkout being edited always runs
// what it holds. The project's tsconfig is named explicitly: from any other working directory tsx
// would not find it, and JSX would compile the wrong way.
import { bundleIsFresh, ENTRY } from './bundle.js';

// A system Node older than the project's (a distribution's Node 20) fails deep inside Ink with a
// syntax or import error: say what to run instead.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `rackpilot needs Node 22.12 or later; this is ${process.version} (${process.execPath}).\n` +
      '  → run it through npm (`npm start`, `npx rackpilot`), which uses the project\'s own Node 22,\n' +
      '    or node_modules/.bin/node src/bin/rackpilot.js, or the single executable (`npm run release`)\n',
  );
  process.exit(2);
}

// React's development build checks and measures every render: four times the CPU of an idle
// dashboard. Operators run the production build unless they ask otherwise.
process.env.NODE_ENV ??= 'production';

if (bundleIsFresh()) {
  // Stacks (RACKPILOT_DEBUG) name the source files, not the bundle's lines.
  if (process.env.RACKPILOT_DEBUG) process.setSourceMapsEnabled(true);
  await import(ENTRY.href);
} else {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname });
  await import('../cli/index.tsx');
}
