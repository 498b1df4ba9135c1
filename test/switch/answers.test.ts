import { describe, expect, it } from 'vitest';
import { splitAnswers } from '../../src/gear/switch/answers.ts';

const PROMPT = /^([A-Za-z0-9._-]+)(\([^)]*\))?([#>])/gm;
const ERRORS = [/^\s*% ?Error\b/i];

describe('splitAnswers (the answers of a pipelined batch)', () => {
  const commands = ['interface vlan 201', 'tagged Te 1/1/2', 'exit'];

  it('cuts a complete batch at each prompt and finds the refused line', () => {
    const text = [
      'interface vlan 201',
      'tor(conf-if-vl-201)#tagged Te 1/1/2',
      '% Error: Port is busy.',
      'tor(conf-if-vl-201)#exit',
      'tor(conf)#',
    ].join('\n');
    const { results, prompt } = splitAnswers(commands, text, PROMPT, true, ERRORS);
    expect(results).toEqual([
      { output: '' },
      { output: '% Error: Port is busy.', errorLine: '% Error: Port is busy.' },
      { output: '' },
    ]);
    expect(prompt).toBe('tor(conf)#');
  });

  it('keeps only the answers a prompt closed when the switch went quiet or away', () => {
    const text = [
      'interface vlan 201',
      '% Error: Campaign fault.',
      'tor(conf)#tagged Te 1/1/2',
      '% Invalid input',
    ].join('\n');
    const { results } = splitAnswers(commands, text, PROMPT, false, ERRORS);
    expect(results).toHaveLength(1);
    expect(results[0]!.errorLine).toBe('% Error: Campaign fault.');
  });
});
