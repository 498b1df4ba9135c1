#!/usr/bin/env node
// The published entry point: load the TypeScript CLI through tsx's loader so a checkout and an
// installed package run the same sources.
import { register } from 'tsx/esm/api';

register();
await import('../cli.tsx');
