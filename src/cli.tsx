#!/usr/bin/env node
import { main } from './commands/main.ts';
import { processIo } from './commands/io.ts';

process.exitCode = await main(process.argv.slice(2), processIo);
