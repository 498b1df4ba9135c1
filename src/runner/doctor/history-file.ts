import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  emptyHistory,
  learn,
  stageHistorySchema,
  type FinishedOperation,
  type StageHistory,
} from './history.ts';

/**
 * The site's stage history on disk, beside the runner's store (`<store>.stage-history.json`, 0600):
 * read once, written (whole, atomically) after each operation it learns. A damaged file starts a
 * fresh history rather than stopping the doctor.
 */
export class StageHistoryFile {
  private history: StageHistory;

  constructor(private readonly path: string | null) {
    this.history = path ? readHistory(path) : emptyHistory();
  }

  get(): StageHistory {
    return this.history;
  }

  learn(op: FinishedOperation): void {
    const next = learn(this.history, op);
    if (next === this.history) return;
    this.history = next;
    if (!this.path) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(next), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

function readHistory(path: string): StageHistory {
  try {
    const parsed = stageHistorySchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : emptyHistory();
  } catch {
    return emptyHistory();
  }
}
