// The CI files in ci/ are valid YAML, and every command they run exists: an npm script of package.json or a
// bootchain CLI command. The JUnit that merge-reports writes is well-formed and carries what CI readers need.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { toJUnit } from '../../harness/report/run-summary.ts';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
const CLI = ['build', 'boot', 'run', 'start', 'list', 'lint', 'repro', 'bench', 'merge-reports'];

/** Every shell command line in a CI file (GitHub `run:`, GitLab `script:`). */
function commandsOf(doc: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (typeof v === 'string' && (key === 'run' || key === 'script')) out.push(...v.split(/&&|\n/).map((c) => c.trim()).filter(Boolean));
  };
  walk(doc);
  return out;
}

for (const file of ['ci/github-actions.yml', 'ci/gitlab-ci.yml']) {
  t.test(`${file}: valid YAML, every command exists`, async (t) => {
    const doc = parse(readFileSync(file, 'utf8')) as unknown;
    const cmds = commandsOf(doc);
    t.ok(cmds.length >= 4, `commands found: ${cmds.join(' | ')}`);
    for (const c of cmds) {
      const npm = /^npm (?:run )?([\w:-]+)/.exec(c);
      if (npm?.[1] && npm[1] !== 'ci') t.ok(npm[1] in pkg.scripts || ['test', 'start'].includes(npm[1]!), `npm script "${npm[1]}" exists (${c})`);
      const cli = /bin\/bootchain\.js (\S+)/.exec(c);
      if (cli) t.ok(CLI.includes(cli[1]!), `bootchain command "${cli[1]}" exists (${c})`);
    }
    t.ok(cmds.some((c) => /run --shard/.test(c)), 'runs shards');
    t.ok(cmds.some((c) => /merge-reports/.test(c)), 'merges the shards');
  });
}

t.test('JUnit from merge-reports: one testcase per scenario, stages as properties, the failure with code and hint', async (t) => {
  const x = toJUnit([
    { scenario: 'ok-one', ok: true, problems: [], verdict: 'pass', failure: null, artifacts: '/a/1', wallMs: 1200, stages: [{ id: 'bios', status: 'passed', guestMs: 500 }] },
    { scenario: 'bad <one>', ok: false, problems: ['expected pass'], verdict: 'fail', failure: { stage: 'chain', code: 'IPXE_HTTP_404', message: 'x.ipxe 404 & more', hint: 'check the path' }, artifacts: '/a/2', wallMs: 900, stages: [{ id: 'chain', status: 'failed', guestMs: null }] },
  ]);
  t.match(x, /^<\?xml version="1.0"/);
  t.match(x, /<testsuites name="bootchain" tests="2" failures="1" errors="0"/);
  t.match(x, /<testcase classname="bootchain" name="ok-one" time="1.200">/);
  t.match(x, /<property name="stage.bios" value="passed @500 ms guest"\/>/);
  t.match(x, /<failure message="\[IPXE_HTTP_404\] at chain: x\.ipxe 404 &amp; more" type="IPXE_HTTP_404">expected pass\nhint: check the path<\/failure>/);
  t.match(x, /name="bad &lt;one&gt;"/);
  t.match(x, /<system-out>artifacts: \/a\/2<\/system-out>/);
  // Well-formed: every opened element closes, in order.
  const stack: string[] = [];
  for (const m of x.matchAll(/<(\/?)([a-z-]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) t.equal(stack.pop(), m[2], `</${m[2]}> closes the open element`);
    else stack.push(m[2]!);
  }
  t.same(stack, [], 'all elements closed');
});
