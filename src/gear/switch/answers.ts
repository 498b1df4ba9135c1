/**
 * Reading a switch's answers: pure text work, apart from the session that sends the lines, so the
 * cut between one command's answer and the next can be tested without a switch.
 */

export interface CommandResult {
  output: string;
  /** The switch's error line when it refused the command. */
  errorLine?: string;
}

/** One command's answer: the echoed command and blank edges dropped, its error line found. */
export function parseAnswer(
  command: string,
  lines: string[],
  errorPatterns: readonly RegExp[],
): CommandResult {
  if (lines.length && lines[0]!.trimEnd().endsWith(command)) lines.shift();
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  while (lines.length && lines[0]!.trim() === '') lines.shift();
  const output = lines.join('\n');
  const errorLine = lines.find((l) => errorPatterns.some((re) => re.test(l)))?.trim();
  return errorLine === undefined ? { output } : { output, errorLine };
}

/**
 * The answer to each pipelined command: the text between one prompt and the next (`promptAt`
 * global, capturing the prompt's parts). `complete`: every command was answered (the last prompt
 * came); otherwise only those followed by a prompt. `prompt` is the last prompt seen.
 */
export function splitAnswers(
  commands: readonly string[],
  clean: string,
  promptAt: RegExp,
  complete: boolean,
  errorPatterns: readonly RegExp[],
): { results: CommandResult[]; prompt: string | undefined } {
  const cuts = [...clean.matchAll(promptAt)];
  const results: CommandResult[] = [];
  let prompt: string | undefined;
  let from = 0;
  for (let i = 0; i < commands.length; i++) {
    const m = cuts[i];
    if (!m && !complete) break;
    const seg = clean.slice(from, m ? m.index : clean.length);
    from = m ? m.index + m[0].length : clean.length;
    if (m) prompt = `${m[1]}${m[2] ?? ''}${m[3]}`;
    results.push(parseAnswer(commands[i]!, seg.split('\n'), errorPatterns));
  }
  return { results, prompt };
}
