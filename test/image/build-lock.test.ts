// The cross-process build lock: holders run one at a time, a dead owner's lock is taken over, and the lock
// is gone after success and after failure.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { lockDirFor, withOutputLock } from '../../harness/image/build-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'bootchain-test-locks-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('two holders of the same output never overlap; other outputs do not wait', async (t) => {
  const events: string[] = [];
  const job = (name: string, out: string, ms: number) => withOutputLock(out, async () => {
    events.push(`${name} in`);
    await new Promise((r) => setTimeout(r, ms));
    events.push(`${name} out`);
  }, { root });
  await Promise.all([job('a', '/x/dist/one.img', 150), job('b', '/x/dist/one.img', 10), job('c', '/x/dist/two.img', 10)]);
  const a = events.indexOf('a in'), aOut = events.indexOf('a out'), b = events.indexOf('b in');
  t.ok(b > aOut || events.indexOf('b out') < a, `a and b did not overlap: ${events.join(', ')}`);
  t.ok(events.indexOf('c out') < aOut, 'another output ran while a held its lock');
  t.notOk(existsSync(lockDirFor('/x/dist/one.img', root)), 'released');
});

t.test("a dead owner's lock is taken over; a failure releases the lock", async (t) => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const dir = lockDirFor('/x/dist/stale.img', root);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pid'), dead);
  t.equal(await withOutputLock('/x/dist/stale.img', async () => 'ran', { root }), 'ran');
  await t.rejects(withOutputLock('/x/dist/stale.img', async () => { throw new Error('boom'); }, { root }), /boom/);
  t.notOk(existsSync(dir), 'released after the failure');
});

t.test('positive control: a live owner makes the next holder wait', async (t) => {
  const dir = lockDirFor('/x/dist/live.img', root);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pid'), String(process.pid));
  let ran = false;
  const p = withOutputLock('/x/dist/live.img', async () => void (ran = true), { root });
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(ran, 'still waiting while the owner lives');
  rmSync(dir, { recursive: true, force: true });
  await p;
  t.ok(ran, 'ran once the lock was released');
});
