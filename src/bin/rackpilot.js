#!/usr/bin/env node
// The published entry point: load the TypeScript CLI through tsx's loader so a checkout and an
// installed package run the same sources. The project's tsconfig is named explicitly: from any
// other working directory tsx would not find it, and JSX would compile the wrong way.
import { register } from 'tsx/esm/api';

// React's development build checks and measures every render: four times the CPU of an idle
// dashboard. Operators run the production build unless they ask otherwise.
process.env.NODE_ENV ??= 'production';

register({ tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname });
await import('../cli.tsx');
