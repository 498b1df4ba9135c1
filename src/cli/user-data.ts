import { readFileSync, statSync } from 'node:fs';
import { OperatorError } from '../util/errors.ts';

/** MaaS stores user data in its database; cloud-init's own limit is far below this. */
export const USER_DATA_LIMIT = 1 << 20;

/** Reads a --user-data file, refusing a directory, a missing file or an oversized one by name. */
export function readUserData(path: string): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory())
      throw new OperatorError(`--user-data ${path} is a directory`, {
        hint: 'name the cloud-init file itself',
      });
    size = st.size;
  } catch (err) {
    if (err instanceof OperatorError) throw err;
    throw new OperatorError(`--user-data ${path}: no such file`, {
      hint: 'give the path of a cloud-init user-data file',
    });
  }
  if (size > USER_DATA_LIMIT) {
    throw new OperatorError(
      `--user-data ${path} is ${(size / 1024 / 1024).toFixed(1)} MiB; at most ${USER_DATA_LIMIT / 1024 / 1024} MiB is accepted`,
      { hint: 'keep the user data small: fetch large payloads from cloud-init instead' },
    );
  }
  return readFileSync(path, 'utf8');
}
