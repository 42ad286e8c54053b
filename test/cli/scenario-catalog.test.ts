import t from 'tap';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listScenarioNames, loadScenario, loadAllScenarios } from '../../harness/scenario/catalog.ts';
import { validateScenario } from '../../harness/scenario/validate.ts';

t.test('shipped scenarios all load and validate', async (t) => {
  const all = await loadAllScenarios();
  const names = all.map((s) => s.name);
  t.ok(names.includes('external-script'));
  t.ok(names.includes('embedded-script'));
});

t.test('unknown scenario lists the valid names', async (t) => {
  const names = await listScenarioNames();
  await t.rejects(loadScenario('no-such-scenario'), { code: 'SCENARIO_UNKNOWN', message: new RegExp(names.join(', ')) });
});

t.test('validation names the broken field', async (t) => {
  t.throws(() => validateScenario({ description: 'x', image: 'a', expect: { pass: 'nope' } }, 'f.ts'), { code: 'SCENARIO_INVALID', message: /f\.ts: field `expect.pass` names unknown stage "nope"/ });
  t.throws(() => validateScenario({ description: 'x', expect: { pass: 'chain' } }, 'f.ts'), { message: /field `image`/ });
  t.throws(() => validateScenario({ description: 'x', image: 'a', expect: { pass: 'chain' }, routes: [{ path: 'rel' }] }, 'f.ts'), { message: /routes\[0\]\.path/ });
  t.throws(() => validateScenario({ description: 'x', image: 'a', expect: { failAt: 'gpt' }, routes: [{ path: '/a', status: 99 }] }, 'f.ts'), { message: /routes\[0\]\.status/ });
  t.throws(() => validateScenario({ description: 'x', image: { name: 'a', overlay: { '../x': 'y' } }, expect: { pass: 'chain' } }, 'f.ts'), { message: /overlay/ });
  t.ok(validateScenario({ description: 'x', image: 'a', expect: { failAt: 'gpt', code: 'GPTMBR_MISSING_OS' } }, 'f.ts'));
});

t.test('a scenario file that does not load is an error naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bc-scen-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'broken.ts'), 'export default {{{');
  await t.rejects(loadScenario('broken', dir), { code: 'SCENARIO_BROKEN', message: /broken\.ts/ });
});
