import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { DoctorView } from '../../components/DoctorView.tsx';
import { diagnose } from '../../src/runner/doctor/diagnose.ts';
import { load, names } from './corpus-load.ts';

/**
 * Every recorded timeline, as the dashboard's doctor view shows it at 80x24: it opens at its top,
 * the story line and the likely cause (or none) on the first screen, the cause's fixes numbered.
 */
afterEach(() => cleanup());

const words = (s: string) => s.replace(/\s+/g, ' ');

describe('the doctor view of each recorded timeline, at 80x24', () => {
  for (const name of names) {
    it(`${name}: ${load(name).fx.expect ?? 'no cause'}`, () => {
      const { facts } = load(name);
      const d = diagnose(facts);
      const screen = (height: number) =>
        render(
          <DoctorView
            hostname={facts.hostname}
            diagnosis={d}
            error={null}
            loading={false}
            now={facts.now}
            readOnly={false}
            offset={0}
            width={80}
            height={height}
          />,
        ).lastFrame()!;
      const first = screen(24);
      const lines = first.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^doctor ${facts.hostname} `));
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
      const flat = words(first);
      expect(flat).toContain(words(d.summary).slice(0, 40));
      if (d.cause) {
        // The cause's sentence starts on the first screen, wrapped to 80 columns.
        expect(flat).toContain(`likely cause ${words(d.cause.sentence).slice(0, 50)}`);
        const all = words(screen(200));
        d.fixes.forEach((f, i) => expect(all).toMatch(new RegExp(` ${i + 1} +${f.id} `)));
      } else {
        // Healthy, or slow but within its time: the view says no cause, never invents one.
        expect(flat).toContain('likely cause none: nothing in the timeline or the live checks is wrong');
      }
      expect(flat).toMatch(/lines 1–\d+ of \d+|timeline/);
    });
  }
});
