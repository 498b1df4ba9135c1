// `npm run docs [DIR]`: the man page and the shell completions, written from the command registry
// into DIR (default dist/docs). The release packs them beside the executable.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMPLETION_SCRIPTS } from '../cli/completion.ts';
import { manPage } from '../cli/man.ts';

const dir = resolve(process.argv[2] ?? 'dist/docs');
mkdirSync(join(dir, 'completions'), { recursive: true });
writeFileSync(join(dir, 'rackpilot.1'), manPage());
writeFileSync(join(dir, 'completions', 'rackpilot.bash'), COMPLETION_SCRIPTS.bash);
writeFileSync(join(dir, 'completions', '_rackpilot'), COMPLETION_SCRIPTS.zsh);
writeFileSync(join(dir, 'completions', 'rackpilot.fish'), COMPLETION_SCRIPTS.fish);
console.log(`rackpilot: man page and completions in ${dir}`);
