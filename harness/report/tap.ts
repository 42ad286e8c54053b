// TAP 14 for `bootchain run --tap`: one subtest per scenario cell holding its assertions, a YAML block of
// diagnostics (found, wanted, the stage table and console tail) under each failed one. Written as each
// cell ends, so a long run streams.
import type { ScenarioAssertion } from '../scenario/assertions.ts';

// YAML cannot hold C0 controls (but tab and LF) or DEL: such text goes in a JSON string (valid YAML).
const PLAIN_BLOCK = /^[^\u0000-\u0008\u000b-\u001f\u007f]*$/;

function yamlValue(v: unknown, indent: string): string {
  if (typeof v === 'string' && v.includes('\n') && PLAIN_BLOCK.test(v) && !/^\s/.test(v)) return `|-\n${v.split('\n').map((l) => `${indent}  ${l}`).join('\n')}`;
  return JSON.stringify(v ?? null);
}

/** TAP-safe description: no line breaks, and no `#` (it would start a directive). */
const describe = (s: string): string => s.replace(/[\r\n]+/g, ' ').replace(/#/g, '\\#');

export class TapWriter {
  #n = 0;
  constructor(private readonly write: (text: string) => void) {
    write('TAP version 14\n');
  }

  /** One scenario cell as a subtest; returns whether all its assertions held. */
  subtest(name: string, asserts: ScenarioAssertion[], comments: string[] = [], timeMs?: number): boolean {
    const lines = [`# Subtest: ${describe(name)}`];
    for (const c of comments) lines.push(...c.split('\n').map((l) => `    # ${l}`));
    asserts.forEach((a, i) => {
      lines.push(`    ${a.ok ? 'ok' : 'not ok'} ${i + 1} - ${describe(a.name)}`);
      if (!a.ok) {
        lines.push('      ---');
        for (const [k, v] of Object.entries({ found: a.found, wanted: a.wanted, details: a.details })) if (v !== undefined) lines.push(`      ${k}: ${yamlValue(v, '      ')}`);
        lines.push('      ...');
      }
    });
    lines.push(`    1..${asserts.length}`);
    const ok = asserts.length > 0 && asserts.every((a) => a.ok);
    lines.push(`${ok ? 'ok' : 'not ok'} ${++this.#n} - ${describe(name)}${timeMs === undefined ? '' : ` # time=${Math.round(timeMs)}ms`}`);
    this.write(lines.join('\n') + '\n');
    return ok;
  }

  /** The plan, after the last subtest. */
  end(): void {
    this.write(`1..${this.#n}\n`);
  }
}
