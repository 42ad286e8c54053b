// The boot's private network, end to end with real QEMU: production names served without rewriting, two
// boots at once that cannot see each other, nothing leaving the namespace, nothing left behind.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import t from 'tap';
import type { BootReport } from '../../harness/report/json-report.ts';
import { formatStageTable } from '../../harness/stages/index.ts';
import { CLI, makeTemp, ROOT, rmTemp, runCli } from '../cli/fixtures/cli-run.ts';
import { pollFor, holderProcesses, processesMatching } from '../cli/fixtures/processes.ts';

const work = makeTemp('netns');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');
const IMG = join(ROOT, 'dist', 'hypersolid-cloud-external.img');
const diag = (r: BootReport) => `${formatStageTable(r.stages as never, r.failure as never)}\nledger: ${JSON.stringify(r.ledger.map((e) => [e.host, e.url, e.status]))}\ndns: ${JSON.stringify(r.dns)}`;
const report = (stdout: string): BootReport => JSON.parse(stdout) as BootReport;

t.before(async () => {
  const b = await runCli(['build', 'hypersolid-cloud-external'], { artifacts });
  if (b.exitCode !== 0) throw new Error(`build failed: ${b.all}`);
});

t.test('two boots of the same production-URL image at once: each is served by its own stub', async (t) => {
  const dirs = ['A', 'B'].map((n) => {
    const d = join(work, `host-${n}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'myconfig.ipxe'), `#!ipxe\necho served by stub ${n} for \${serial}\n`);
    return d;
  });
  const [a, b] = await Promise.all(
    dirs.map((d, i) => runCli(['boot', IMG, '--host', `ipxe1.example.org=${d}`, '--serial', `SERIAL-${'AB'[i]}`, '--json'], { artifacts })),
  );
  for (const [i, r] of [a!, b!].entries()) {
    const rep = report(r.stdout);
    const serial = `SERIAL-${'AB'[i]}`;
    t.equal(r.exitCode, 0, `boot ${serial} passed\n${diag(rep)}`);
    t.same(rep.ledger.map((e) => [e.host, e.path, e.query['serial'], e.status]), [['ipxe1.example.org', '/myconfig.ipxe', serial, 200]], `boot ${serial}: its own stub saw exactly its own request`);
    // (the guest may ask again: slirp's DNS proxy retries) — every A question was this one, answered
    t.same([...new Set((rep.dns ?? []).filter((q) => q.type === 'A').map((q) => `${q.name} → ${q.answer}`))], ['ipxe1.example.org → 198.18.0.10'], `boot ${serial}: its own DNS stub answered`);
  }
});

/** The host's first non-loopback IPv4 address (a real interface), or null. */
function realAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

t.test('no egress: an undeclared address and an undeclared name fail fast at chain, and no packet leaves', async (t) => {
  const ip = realAddress();
  if (!ip) return t.fail('this host has no non-loopback IPv4 address to listen on');
  let connections = 0;
  const listener = net.createServer((s) => {
    connections++;
    const body = '#!ipxe\necho CHAINED-OK\n';
    s.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
  await new Promise<void>((r) => listener.listen(0, ip, r));
  t.teardown(() => listener.close());
  const port = (listener.address() as net.AddressInfo).port;
  const serve = join(work, 'egress');
  mkdirSync(serve, { recursive: true });
  writeFileSync(join(serve, 'boot.ipxe'), `#!ipxe\nchain http://${ip}:${port}/x.ipxe\n`);
  const byIp = await runCli(['boot', join(ROOT, 'dist', 'hypersolid-cloud.img'), '--serve', serve, '--until', 'CHAINED-OK', '--json'], { artifacts });
  const r1 = report(byIp.stdout);
  t.equal(byIp.exitCode, 1, diag(r1));
  t.match(r1.failure, { code: 'IPXE_CONNECTION_REFUSED' }, `refused at once inside the namespace, not a 16 s timeout\n${diag(r1)}`);
  t.equal(connections, 0, `the listener on ${ip}:${port} (a real interface) saw no connection`);

  writeFileSync(join(serve, 'boot.ipxe'), '#!ipxe\nchain http://config.undeclared.example.net/x.ipxe\n');
  const byName = await runCli(['boot', join(ROOT, 'dist', 'hypersolid-cloud.img'), '--serve', serve, '--until', 'CHAINED-OK', '--json'], { artifacts });
  const r2 = report(byName.stdout);
  t.match(r2.failure, { code: 'IPXE_DNS_NOT_FOUND' }, diag(r2));
  t.ok((r2.dns ?? []).some((q) => q.name === 'config.undeclared.example.net' && q.rcode === 'NXDOMAIN'), `the DNS stub answered NXDOMAIN\n${diag(r2)}`);

  // Positive control: with user networking (no namespace) the same address IS reached — the listener works.
  writeFileSync(join(serve, 'boot.ipxe'), `#!ipxe\nchain http://${ip}:${port}/x.ipxe\n`);
  const open = await runCli(['boot', join(ROOT, 'dist', 'hypersolid-cloud.img'), '--serve', serve, '--network', 'user', '--until', 'CHAINED-OK', '--json'], { artifacts });
  t.equal(open.exitCode, 0, `control run passed: ${open.stderr.slice(-300)}`);
  t.ok(connections > 0, `control: with --network user the guest reaches ${ip}:${port} (${connections} connection(s); exit ${open.exitCode})`);
});

t.test('SIGKILL of the harness mid-boot: QEMU and the namespace holder die with it', async (t) => {
  const tmp = join(work, 'tmp-kill');
  mkdirSync(tmp, { recursive: true });
  const child = execa(process.execPath, [CLI, 'boot', IMG, '--realtime', '--host', 'ipxe1.example.org=down'], { cwd: ROOT, reject: false, env: { TMPDIR: tmp, BOOTCHAIN_ARTIFACTS: artifacts } });
  const holder = await pollFor(() => holderProcesses(tmp)[0], 20_000, 10);
  const qemu = await pollFor(() => processesMatching('qemu-system', tmp)[0], 20_000, 10);
  t.ok(holder && qemu, 'holder and QEMU run');
  child.kill('SIGKILL');
  await child;
  // QEMU may linger as a zombie until PID 1 reaps it: only live processes count.
  const alive = (pid: number) => {
    try {
      return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  const gone = await pollFor(() => [holder, qemu].every((p) => !p || !alive(p.pid)), 5_000, 50);
  t.ok(gone, 'no live holder or QEMU after the harness was killed');
  await sleep(100);
  // No owner could run on SIGKILL: its temp dirs stay until the next run finds them, removes them and says so.
  const left = readdirSync(tmp).filter((d) => d.startsWith('bootchain-'));
  t.ok(left.length > 0, `temp dirs of the killed run are there (${left.join(', ')}): else the sweep below proves nothing`);
  const next = await execa(process.execPath, [CLI, 'boot', join(tmp, 'no-such.img')], { cwd: ROOT, reject: false, env: { TMPDIR: tmp, BOOTCHAIN_ARTIFACTS: artifacts } });
  t.match(next.stderr, /cleaned up \d+ temp dir\(s\) left by a killed bootchain run/, next.stderr);
  t.same(readdirSync(tmp).filter((d) => d.startsWith('bootchain-')), [], 'the next run removed them');
});
