import t from 'tap';
import type { BootEvent } from '../../harness/events.ts';
import { StageTracker, formatStageTable, type TrackerResult } from '../../harness/stages/index.ts';
import { loadMap, loadRecording, replay, type RecordedEvent } from '../fixtures/replay.ts';

const diag = (r: TrackerResult) => `${formatStageTable(r.stages, r.failure)}\nendedBy: ${r.endedBy}`;
const status = (r: TrackerResult) => Object.fromEntries(r.stages.map((s) => [s.id, s.status]));
const passedUpTo = (r: TrackerResult) => r.stages.filter((s) => s.status === 'passed').map((s) => s.id);

t.test('recorded good boot passes every stage, each with disk or console evidence', async (t) => {
  const r = replay(loadRecording('good'), { diskMap: loadMap('good'), finalStage: 'chain', scriptSource: 'initrd' });
  t.equal(r.verdict, 'pass', diag(r));
  t.equal(r.stages.length, 11);
  t.ok(r.stages.every((s) => s.status === 'passed' && s.evidence.length > 0), diag(r));
  const ev = (id: string) => r.stages.find((s) => s.id === id)!.evidence.join(' | ');
  t.match(ev('gpt'), /disk read @1048576 \+512 \(vbr\)/);
  t.match(ev('vbr'), /ldlinux\.sys/);
  t.match(ev('ldlinux-sys'), /SYSLINUX 6\.04/);
  t.match(ev('ldlinux-c32'), /extlinux\.conf/);
  t.match(ev('script'), /source: initrd/);
  t.match(ev('chain'), /http 200 GET \/x\.ipxe/);
  const times = r.stages.map((s) => s.atMs ?? -1);
  t.ok(times[0]! > 0 && times[10]! > 3000, `times ${times.join(',')}`);
});

t.test('fail-fast: done as soon as the final stage passes', async (t) => {
  const r = replay(loadRecording('good'), { diskMap: loadMap('good'), finalStage: 'ipxe' });
  t.equal(r.verdict, 'pass', diag(r));
  t.same(r.stages.map((s) => s.id).at(-1), 'ipxe');
  t.ok(r.stages.at(-1)!.atMs! < 1500, 'ended at the iPXE banner, long before the network');
});

t.test('SERIAL 0 115200 duplication still passes (console reader de-duplicates)', async (t) => {
  const r = replay(loadRecording('dup'), { diskMap: loadMap('dup'), finalStage: 'chain', scriptSource: 'initrd' });
  t.equal(r.verdict, 'pass', diag(r));
});

t.test('autoboot (no script) is told apart by the Ctrl-B prompt', async (t) => {
  const r = replay(loadRecording('autoboot'), { diskMap: loadMap('autoboot'), finalStage: 'chain', scriptSource: null });
  t.equal(r.verdict, 'pass', diag(r));
  t.match(r.stages.find((s) => s.id === 'script')!.evidence[0], /autoboot/);
});

t.test('LINUX naming a missing file fails ipxe with KERNEL_NOT_FOUND, not the boot: prompt', async (t) => {
  const r = replay(loadRecording('missing'), { diskMap: loadMap('missing'), finalStage: 'chain' }, { tailMs: 5000 });
  t.equal(r.verdict, 'fail', diag(r));
  t.match(r.failure, { stage: 'ipxe', code: 'KERNEL_NOT_FOUND', message: /missing\.lkrn/ });
  t.same(passedUpTo(r), ['bios', 'mbr', 'gpt', 'vbr', 'ldlinux-sys', 'ldlinux-c32', 'config']);
});

t.test('zeroed VBR: gptmbr says Missing OS after reading the VBR, so the vbr stage failed', async (t) => {
  const r = replay(loadRecording('zerovbr'), { diskMap: loadMap('zerovbr'), finalStage: 'chain' });
  t.match(r.failure, { stage: 'vbr', code: 'GPTMBR_MISSING_OS' }, diag(r));
  t.equal(status(r).gpt, 'passed');
});

t.test('HTTP 404 on a URL wrapped at 80 columns fails chain with IPXE_HTTP_404', async (t) => {
  const r = replay(loadRecording('h404'), { diskMap: loadMap('h404'), finalStage: 'chain' });
  t.match(r.failure, { stage: 'chain', code: 'IPXE_HTTP_404', message: /nothere\.ipxe.*2d0c613b/ }, diag(r));
  t.equal(status(r).network, 'passed');
});

t.test('connection refused fails chain', async (t) => {
  const r = replay(loadRecording('refused'), { diskMap: loadMap('refused'), finalStage: 'chain' });
  t.match(r.failure, { stage: 'chain', code: 'IPXE_CONNECTION_REFUSED' }, diag(r));
});

t.test('without a disk map, silent stages are implied by the SYSLINUX banner, never passed', async (t) => {
  const r = replay(loadRecording('good'), { diskMap: null, finalStage: 'chain' });
  t.equal(r.verdict, 'pass', diag(r));
  for (const id of ['mbr', 'gpt', 'vbr']) {
    const s = r.stages.find((x) => x.id === id)!;
    t.equal(s.status, 'implied', `${id} implied\n${diag(r)}`);
    t.equal(s.atMs, null, 'an implied stage has no time of its own');
    t.match(s.evidence.join(' | '), /implied: ldlinux-sys passed \(.*SYSLINUX 6\.04.*no evidence of its own: no disk map/);
  }
  t.match(r.stages.find((s) => s.id === 'ldlinux-sys')!.evidence.join(' | '), /console only/);
  const z = replay(loadRecording('zerovbr'), { diskMap: null, finalStage: 'chain' });
  t.match(z.failure, { stage: 'gpt', code: 'GPTMBR_MISSING_OS' }, diag(z));
});

t.test('a later stage\'s evidence before earlier ones does not pass it', async (t) => {
  const tr = new StageTracker({ diskMap: loadMap('good'), finalStage: 'chain' });
  const line = (atMs: number, text: string): BootEvent => ({ kind: 'console', atMs, text });
  tr.consume(line(10, 'Configuring (net0 52:54:00:12:34:56)...... ok'));
  tr.consume(line(20, 'iPXE initialising devices...ok'));
  tr.consume({ kind: 'disk-read', atMs: 30, offset: 9978880, bytes: 512 });
  let r = tr.result();
  t.same(passedUpTo(r), [], diag(r));
  tr.consume(line(40, 'SeaBIOS (version 1.16.2)'));
  r = tr.result();
  t.same(passedUpTo(r), ['bios'], 'network/ipxe/vbr evidence that came first does not count');
  t.notOk(tr.done);
});

/** Recording cut right after the first read of `role`: the boot hangs there. */
function hangAfter(events: RecordedEvent[], offset: number): RecordedEvent[] {
  const i = events.findIndex((e) => e.kind === 'disk-read' && e.offset === offset && e.atMs > 80);
  return events.slice(0, i + 1).filter((e) => e.kind !== 'serial' || !/SYSLINUX/.test(e.data));
}

t.test('no progress: a hang in the MBR code is told apart from a hang in the VBR by disk reads', async (t) => {
  const ev = loadRecording('good');
  const mbr = replay(hangAfter(ev, 0), { diskMap: loadMap('good'), finalStage: 'chain' }, { tailMs: 10000 });
  t.match(mbr.failure, { stage: 'mbr', code: 'STAGE_TIMEOUT', message: /no disk read of the GPT header \(LBA 1\) after the read of the MBR/ }, diag(mbr));
  const vbr = replay(hangAfter(ev, 1048576), { diskMap: loadMap('good'), finalStage: 'chain' }, { tailMs: 10000 });
  t.match(vbr.failure, { stage: 'vbr', code: 'STAGE_TIMEOUT', message: /no disk read of ldlinux\.sys \(first sector\) after the read of the boot partition's first sector/ }, diag(vbr));
  const failedAt = vbr.stages.find((s) => s.status === 'failed')!.atMs!;
  t.ok(failedAt < 1000, 'timed out ~3 s after the last read, not at the overall timeout');
});

t.test('stage and overall timeouts come from options and TickEvents', async (t) => {
  const tr = new StageTracker({ diskMap: null, finalStage: 'chain', timeouts: { overallMs: 60000, stageMs: { bios: 500 } } });
  tr.consume({ kind: 'tick', atMs: 400 });
  t.notOk(tr.done);
  tr.consume({ kind: 'tick', atMs: 500 });
  t.notOk(tr.done, 'the no-progress condition must still hold on a later event (host stalls)');
  tr.consume({ kind: 'tick', atMs: 650 });
  t.ok(tr.done);
  t.match(tr.result().failure, { stage: 'bios', code: 'STAGE_TIMEOUT', message: /SeaBIOS banner/ });
  const o = new StageTracker({ diskMap: null, finalStage: 'chain', timeouts: { overallMs: 1000 } });
  o.consume({ kind: 'console', atMs: 10, text: 'SeaBIOS (version 1)' });
  for (let at = 100; at <= 1000; at += 100) o.consume({ kind: 'console', atMs: at, text: `noise ${at}` });
  t.match(o.result().failure, { stage: 'mbr', code: 'OVERALL_TIMEOUT' });
});

t.test('a boot: prompt waiting for input ends the run; an answered prompt does not', async (t) => {
  const tr = new StageTracker({ diskMap: null, finalStage: 'chain', promptMs: 1000 });
  tr.consume({ kind: 'console', atMs: 10, text: 'SeaBIOS (version 1)' });
  tr.consume({ kind: 'console', atMs: 20, text: 'SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al' });
  tr.consume({ kind: 'console', atMs: 30, text: 'boot: ', partial: true });
  tr.consume({ kind: 'console', atMs: 500, text: 'boot: ' });
  tr.consume({ kind: 'tick', atMs: 1600 });
  t.notOk(tr.done, 'the prompt went away (line completed)');
  tr.consume({ kind: 'console', atMs: 1700, text: 'boot: ', partial: true });
  tr.consume({ kind: 'tick', atMs: 2800 });
  t.ok(tr.done);
  t.match(tr.result().failure, { code: 'BOOT_PROMPT' });
});

t.test('QEMU infra errors give verdict error, never a stage failure', async (t) => {
  const a = new StageTracker({ diskMap: null, finalStage: 'chain' });
  a.consume({ kind: 'console', atMs: 10, text: 'SeaBIOS (version 1)' });
  a.consume({ kind: 'exit', atMs: 50, code: 1, signal: null, infraError: 'could not load firmware' });
  t.match(a.result(), { verdict: 'error', failure: null, endedBy: /infra error/ });
  const b = new StageTracker({ diskMap: null, finalStage: 'chain' });
  b.consume({ kind: 'console', atMs: 10, text: 'KVM internal error. Suberror: 1' });
  t.match(b.result(), { verdict: 'error', failure: null });
  const c = new StageTracker({ diskMap: null, finalStage: 'chain' });
  c.consume({ kind: 'console', atMs: 10, text: 'SeaBIOS (version 1)' });
  c.consume({ kind: 'exit', atMs: 50, code: 0, signal: null });
  t.match(c.result(), { verdict: 'fail', failure: { stage: 'mbr', code: 'MACHINE_EXITED' } });
});

t.test('extra stages pass on their console regex after the chain', async (t) => {
  const extra = [{ id: 'init', title: 'Linux init ran', evidence: /^BOOTCHAIN-INIT/ }];
  const r = replay(loadRecording('good'), { diskMap: loadMap('good'), finalStage: 'init', extraStages: extra }, { tailMs: 100 });
  t.equal(r.stages.at(-1)!.id, 'init');
  // Recorded with the harness's own Machine (-boot strict=on): after the chained script SeaBIOS has no
  // other device to try, so the run ends at "No bootable device." rather than a floppy/CD fall-through.
  t.match(r.failure, { stage: 'init', code: 'NO_BOOTABLE_DEVICE' }, diag(r));
  t.match(formatStageTable(r.stages, r.failure), /init\s+FAIL/);
});

const RECORDINGS = ['good', 'dup', 'autoboot', 'missing', 'zerovbr', 'h404', 'refused'];

t.test('one timeline: stage times never run backwards, on every recording, with and without a disk map', async (t) => {
  for (const name of RECORDINGS) {
    for (const diskMap of [loadMap(name), null]) {
      const r = replay(loadRecording(name), { diskMap, finalStage: 'chain', scriptSource: 'initrd' }, { tailMs: 5000 });
      const timed = r.stages.filter((s) => s.atMs !== null && s.status !== 'not-reached');
      for (let i = 1; i < timed.length; i++) {
        t.ok(timed[i]!.atMs! >= timed[i - 1]!.atMs!, `${name}${diskMap ? '' : ' (no map)'}: ${timed[i]!.id} at ${timed[i]!.atMs} is not before ${timed[i - 1]!.id} at ${timed[i - 1]!.atMs}\n${diag(r)}`);
      }
      t.notOk(r.stages.some((s) => s.status === 'passed' && s.evidence.some((e) => /^implied/.test(e))), `${name}: no passed stage rests on implied evidence`);
    }
  }
  // The recorded seed boot: mbr passes on the GPT header read, before gpt's entries read (was: mbr after gpt).
  const g = replay(loadRecording('good'), { diskMap: loadMap('good'), finalStage: 'chain' });
  const at = (id: string) => g.stages.find((s) => s.id === id)!.atMs!;
  t.ok(at('mbr') <= at('gpt') && at('gpt') <= at('vbr'), diag(g));
});

t.test('a console line printed before the disk read that passed the previous stage does not count', async (t) => {
  const map = loadMap('good');
  const tr = new StageTracker({ diskMap: map, finalStage: 'chain' });
  const line = (atMs: number, text: string, textAtMs = atMs): BootEvent => ({ kind: 'console', atMs, text, textAtMs });
  tr.consume(line(10, 'SeaBIOS (version 1.16.2)'));
  tr.consume(line(25, 'Booting from Hard Disk...', 20));
  tr.consume({ kind: 'disk-read', atMs: 30, offset: 0, bytes: 512 });
  tr.consume({ kind: 'disk-read', atMs: 40, offset: 512, bytes: 512 });
  tr.consume({ kind: 'disk-read', atMs: 50, offset: 1024, bytes: 16384 });
  // The VBR read comes late on the trace, but the line reporting "Booting from Hard Disk" arrives after it:
  tr.consume({ kind: 'disk-read', atMs: 60, offset: 1048576, bytes: 512 });
  let r = tr.result();
  t.same(passedUpTo(r), ['bios', 'mbr', 'gpt'], diag(r));
  t.equal(r.stages[1]!.atMs, 40, 'mbr passes at the GPT header read');
  // A full SYSLINUX banner printed (and ended) before the VBR read cannot pass vbr or ldlinux-sys.
  const stale = new StageTracker({ diskMap: map, finalStage: 'chain' });
  stale.consume(line(10, 'SeaBIOS (version 1.16.2)'));
  stale.consume(line(25, 'Booting from Hard Disk...', 20));
  stale.consume(line(28, 'SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al', 27));
  for (const [atMs, offset, bytes] of [[30, 0, 512], [40, 512, 512], [50, 1024, 16384], [60, 1048576, 512], [70, 9978880, 512], [80, 9979392, 15872]] as const) {
    stale.consume({ kind: 'disk-read', atMs, offset, bytes });
  }
  r = stale.result();
  t.same(passedUpTo(r), ['bios', 'mbr', 'gpt', 'vbr'], `the banner ended at 28 ms, before the vbr stage passed at 70 ms\n${diag(r)}`);
});

t.test('implied, never passed: a later stage\'s message alone does not pass the stages before it', async (t) => {
  const tr = new StageTracker({ diskMap: loadMap('good'), finalStage: 'chain' });
  tr.consume({ kind: 'console', atMs: 10, text: 'SeaBIOS (version 1.16.2)' });
  tr.consume({ kind: 'console', atMs: 20, text: 'ping: command not found' });
  tr.consume({ kind: 'tick', atMs: 400 });
  const r = tr.result();
  t.equal(r.verdict, 'fail', diag(r));
  t.same(passedUpTo(r), ['bios'], diag(r));
  const implied = r.stages.filter((s) => s.status === 'implied');
  t.same(implied.map((s) => s.id), ['mbr', 'gpt', 'vbr', 'ldlinux-sys', 'ldlinux-c32', 'config', 'ipxe'], diag(r));
  t.match(implied[0]!.evidence.join(' | '), /implied: IPXE_COMMAND_NOT_FOUND .*no evidence of its own: none seen/);
  t.match(r.failure, { stage: 'script', code: 'IPXE_COMMAND_NOT_FOUND' });
});

t.test('a map without a boot partition keeps the MBR and GPT regions: mbr passes on its reads', async (t) => {
  const full = loadMap('zerovbr');
  // As inspectImage maps a GPT disk whose partitions lack the LegacyBIOSBootable attribute.
  const map = { ...full, bootPartition: null, syslinuxDir: null, regions: full.regions.filter((x) => x.kind !== 'file' && x.kind !== 'vbr'), notes: ['no GPT partition has the LegacyBIOSBootable attribute (bit 2): gptmbr.bin prints "Missing OS"'] };
  const r = replay(loadRecording('zerovbr'), { diskMap: map, finalStage: 'chain' });
  t.equal(status(r).mbr, 'passed', diag(r));
  t.match(r.stages.find((s) => s.id === 'mbr')!.evidence.join(' | '), /gpt-header/);
  t.match(r.failure, { stage: 'gpt', code: 'GPTMBR_MISSING_OS' }, diag(r));
});

t.test('an MBR-partitioned disk skips the gpt stage with the reason, never passes it', async (t) => {
  const g = loadMap('good');
  const vbr = g.regions.find((x) => x.kind === 'vbr')!;
  const map = { ...g, partitionTable: 'mbr' as const, regions: g.regions.filter((x) => x.kind !== 'gpt-header' && x.kind !== 'gpt-entries') };
  const tr = new StageTracker({ diskMap: map, finalStage: 'vbr' });
  tr.consume({ kind: 'console', atMs: 10, text: 'SeaBIOS (version 1.16.2)' });
  tr.consume({ kind: 'console', atMs: 20, text: 'Booting from Hard Disk...' });
  tr.consume({ kind: 'disk-read', atMs: 30, offset: 0, bytes: 512 });
  tr.consume({ kind: 'disk-read', atMs: 40, offset: vbr.ranges[0]!.start, bytes: 512 });
  tr.consume({ kind: 'disk-read', atMs: 50, offset: 9978880, bytes: 512 });
  const r = tr.result();
  t.equal(r.verdict, 'pass', diag(r));
  t.match(r.stages.find((s) => s.id === 'gpt'), { status: 'skipped', atMs: null, evidence: [/skipped: MBR partition table: no GPT/] });
});

t.test('the ISOLINUX ladder: gpt and vbr skipped, mbr proved by the MBR code loading isolinux.bin', async (t) => {
  const map = { version: 1 as const, image: 'x', sizeBytes: 2 << 20, sectorSize: 512 as const, partitionTable: 'mbr' as const, partitions: [], bootPartition: 1, syslinuxDir: null, notes: [],
    regions: [{ name: 'mbr', kind: 'mbr' as const, ranges: [{ start: 0, end: 512 }] }],
    chain: { mbrCode: { kind: 'isohdpfx' as const, how: 'test' }, scheme: 'iso-hybrid' as const, loader: { kind: 'isolinux' as const }, ladder: 'isolinux-hybrid' as const } };
  const tr = new StageTracker({ diskMap: map, finalStage: 'ldlinux-sys' });
  const line = (atMs: number, text: string): BootEvent => ({ kind: 'console', atMs, text });
  tr.consume(line(10, 'SeaBIOS (version 1.16.2)'));
  tr.consume(line(20, 'Booting from Hard Disk...'));
  tr.consume({ kind: 'disk-read', atMs: 30, offset: 0, bytes: 512 });
  tr.consume({ kind: 'disk-read', atMs: 35, offset: 954368, bytes: 2048 });
  tr.consume(line(40, 'ISOLINUX 6.04 20200816 EHDD Copyright (C) 1994-2015 H. Peter Anvin et al'));
  const r = tr.result();
  t.equal(r.verdict, 'pass', diag(r));
  t.same(r.stages.map((s) => `${s.id}:${s.status}`), ['bios:passed', 'mbr:passed', 'gpt:skipped', 'vbr:skipped', 'ldlinux-sys:passed']);
  t.match(r.stages[1]!.evidence.join(' | '), /the MBR code loading isolinux\.bin/);
  t.match(r.stages[2]!.evidence[0], /ISO 9660 hybrid image: no GPT/);
});

/** The lines of a recorded OS boot after the chain, replayed on a tracker already past `chain`. */
function osTracker(): { tr: StageTracker; at: () => number; line: (text: string) => void; req: (path: string, bodyKind: 'bzimage' | 'binary') => void } {
  const tr = new StageTracker({ diskMap: null, finalStage: 'init' });
  let t = 0;
  const line = (text: string) => tr.consume({ kind: 'console', atMs: (t += 10), text });
  const req = (path: string, bodyKind: 'bzimage' | 'binary') => tr.consume({ kind: 'request', atMs: (t += 10), entry: { atMs: t, method: 'GET', path, query: {}, url: path, headers: {}, status: 200, bytes: 1, route: path, bodyKind } });
  for (const l of ['SeaBIOS (version 1)', 'Booting from Hard Disk...', 'SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al', 'booting iPXE from SYSLINUX', 'Loading ipxe.lkrn... ok', 'iPXE initialising devices...ok', 'Features: DNS HTTP', 'Press Ctrl-B for the iPXE command line...', 'Configuring (net0 52:54:00:12:34:56)...... ok']) line(l);
  tr.consume({ kind: 'request', atMs: (t += 10), entry: { atMs: t, method: 'GET', path: '/boot.ipxe', query: {}, url: '/boot.ipxe', headers: {}, status: 200, bytes: 1, route: '/', bodyKind: 'ipxe-script' } });
  line('http://10.0.2.2/boot.ipxe... ok');
  return { tr, at: () => t, line, req };
}

t.test('kernel and init: a fetched bzImage and its own output; userspace is the first line that is not the kernel\'s', async (t) => {
  const { tr, line, req } = osTracker();
  req('/vmlinuz', 'bzimage');
  line('http://10.0.2.2/vmlinuz... ok');
  req('/initrd.gz', 'binary');
  line('http://10.0.2.2/initrd.gz... ok');
  line('Probing EDD (edd=off to disable)... o[    0.000000] Linux version 6.1.0-57-cloud-amd64');
  line('[    1.234567] Run /init as init process');
  let r = tr.result();
  t.equal(r.stages.find((s) => s.id === 'kernel')!.status, 'passed', diag(r));
  t.equal(r.stages.find((s) => s.id === 'init')!.status, 'not-reached', 'iPXE\'s URL lines and kernel log lines are not userspace');
  line('BOOTCHAIN-INIT cmdline: console=ttyS0');
  r = tr.result();
  t.equal(r.verdict, 'pass', diag(r));
  t.match(r.stages.find((s) => s.id === 'init')!.evidence[0], /first userspace line: .*BOOTCHAIN-INIT/);
});

t.test('a kernel that ran but never reached the serial console: NO_SERIAL_CONSOLE at init', async (t) => {
  const { tr, line, req, at } = osTracker();
  req('/vmlinuz', 'bzimage');
  line('Probing EDD (edd=off to disable)... o');
  tr.consume({ kind: 'exit', atMs: at() + 5000, code: 0, signal: null });
  const r = tr.result();
  t.match(r.failure, { stage: 'init', code: 'NO_SERIAL_CONSOLE', hint: /console=ttyS0/ }, diag(r));
});

/** A tracker past `network`, with wall and guest time under the test's control, waiting for `chain`. */
function chainTracker(): { tr: StageTracker; step: (wallMs: number, guestMs: number) => void; line: (text: string) => void; req: (path: string, status: number) => void } {
  const tr = new StageTracker({ diskMap: null, finalStage: 'chain' });
  let wall = 0;
  let guest = 0;
  const line = (text: string) => tr.consume({ kind: 'console', atMs: (wall += 10), guestMs: (guest += 10), text });
  const req = (path: string, status: number) => tr.consume({ kind: 'request', atMs: (wall += 10), entry: { atMs: wall, method: 'GET', path, query: {}, url: path, headers: {}, status, bytes: 1, route: path, bodyKind: 'ipxe-script' } });
  const step = (w: number, g: number) => tr.consume({ kind: 'tick', atMs: (wall += w), guestMs: (guest += g) });
  for (const l of ['SeaBIOS (version 1)', 'Booting from Hard Disk...', 'SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al', 'booting iPXE from SYSLINUX', 'Loading ipxe.lkrn... ok', 'iPXE initialising devices...ok', 'Features: DNS HTTP', 'Press Ctrl-B for the iPXE command line...', 'Configuring (net0 52:54:00:12:34:56)...... ok']) line(l);
  return { tr, step, line, req };
}

t.test('a `|| chain` fallback on a slow host: the failure message settles in guest time, and the stage passing after all drops it', async (t) => {
  const { tr, step, line, req } = chainTracker();
  line('http://primary.example.org/x.ipxe... Connection reset (http://ipxe.org/0f0a6039)');
  step(400, 30); // a loaded host: 400 ms of wall time, the guest only 30 ms further
  t.equal(tr.done, false, 'not failed yet: the guest has not had its 250 ms');
  line('primary failed, trying the secondary');
  req('/x.ipxe', 200);
  line('http://secondary.example.org/x.ipxe... ok');
  step(400, 300);
  const r = tr.result();
  t.equal(r.verdict, 'pass', diag(r));
});

t.test('a failure message with no recovery still fails once the guest had 250 ms (or after 2 s of wall time on a frozen guest clock)', async (t) => {
  const a = chainTracker();
  a.line('http://primary.example.org/x.ipxe... Connection reset (http://ipxe.org/0f0a6039)');
  a.step(300, 300);
  t.match(a.tr.result().failure, { stage: 'chain', code: 'IPXE_CONNECTION_REFUSED' }, diag(a.tr.result()));
  const b = chainTracker();
  b.line('http://primary.example.org/x.ipxe... Connection reset (http://ipxe.org/0f0a6039)');
  b.step(1000, 0);
  t.equal(b.tr.done, false, 'the guest clock stands still: wait');
  b.step(1100, 0);
  t.match(b.tr.result().failure, { stage: 'chain', code: 'IPXE_CONNECTION_REFUSED' }, `after 2 s of wall time: ${diag(b.tr.result())}`);
});

t.test('a line stamped from stale clock samples (a busy host) is placed again by the samples taken since: no false stage timeout', async (t) => {
  // The clock as the session sees it: true guest time rises 20 ms per wall ms from wall 1000 (warp, guest idle in
  // device init). The line arrived when the samples stopped at wall 1000, so its live stamp is stale (guest 100);
  // the samples that came later put it at guest 20 100.
  const truth = (w: number) => (w <= 1000 ? w / 10 : 100 + (w - 1000) * 20);
  const run = (guestAt?: (w: number) => number | null) => {
    const tr = new StageTracker({ diskMap: null, finalStage: 'script', guestStageMs: { script: 30_000 }, ...(guestAt ? { guestAt } : {}) });
    for (const [i, l] of ['SeaBIOS (version 1)', 'Booting from Hard Disk...', 'SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al', 'booting iPXE from SYSLINUX', 'Loading ipxe.lkrn... ok'].entries()) tr.consume({ kind: 'console', atMs: 100 + i * 10, guestMs: 10 + i, text: l });
    // "iPXE initialising devices..." printed at wall 2000 (true guest 20 100), stamped live with the stale 100.
    tr.consume({ kind: 'console', atMs: 2000, textAtMs: 2000, guestMs: 100, text: 'iPXE initialising devices...', partial: true });
    for (let w = 2100; w <= 3000; w += 50) tr.consume({ kind: 'tick', atMs: w, guestMs: truth(w) });
    return tr;
  };
  const stale = run();
  t.match(stale.result().failure, { stage: 'script', code: 'STAGE_TIMEOUT' }, 'the control: judged by the stale stamp, 38 s of guest "silence"');
  const fresh = run(truth);
  t.equal(fresh.done, false, `the clock's later samples put the line at guest 20 100: 18 s of silence, within the 30 s limit\n${diag(fresh.result())}`);
});

// (Lines under 80 columns: a line of 80 or more is joined with the next, as sercon's wrap would have split it.)
t.test('`chain A || echo …` then chain B: the guest went on after A\'s error, so a clock jump before B passes is no verdict', async (t) => {
  const { tr, step, line, req } = chainTracker();
  line('http://p.example.org/x.ipxe... Connection reset (http://ipxe.org/0f0a6039)');
  line('primary failed, trying the secondary');
  step(300, 5000); // warp: the guest idles through DNS and TCP for the secondary, seconds of guest time
  t.equal(tr.done, false, `the script went on: no verdict yet\n${diag(tr.result())}`);
  req('/x.ipxe', 200);
  line('http://s.example.org/x.ipxe... ok');
  const r = tr.result();
  t.equal(r.verdict, 'pass', diag(r));
});

t.test('after an iPXE error the script went on from, a fall-through names that error (not the fall-through)', async (t) => {
  const { tr, line } = chainTracker();
  line('http://p.example.org/x.ipxe... Connection reset (http://ipxe.org/0f0a6039)');
  line('primary failed, and there is no secondary');
  line('No bootable device.  Retrying in 0 seconds.');
  const { step } = { step: (w: number) => tr.consume({ kind: 'tick', atMs: 10_000 + w, guestMs: 10_000 + w }) };
  step(300);
  step(700);
  const r = tr.result();
  t.match(r.failure, { stage: 'chain', code: 'IPXE_CONNECTION_REFUSED' }, diag(r));
});

t.test("iPXE's own epilogue after an error confirms it: autoboot's 'No more network devices' is not the script going on", async (t) => {
  const { tr, line, step } = chainTracker();
  line('http://10.0.2.2/x.ipxe... No such file or directory (http://ipxe.org/2d0c613b)');
  line('Could not boot image: No such file or directory (http://ipxe.org/2d0c613b)');
  line('No more network devices');
  step(300, 300);
  const r = tr.result();
  t.match(r.failure, { stage: 'chain', code: 'IPXE_HTTP_404' }, diag(r));
});

t.test('the line after an iPXE error may still be unfinished (sercon holds its last character): it shows the script went on', async (t) => {
  const { tr, step, line, req } = chainTracker();
  line('http://p.example.org/x.ipxe... Connection reset (http://ipxe.org/0f0a6039)');
  tr.consume({ kind: 'console', atMs: 10_000, guestMs: 10_000, text: 'primary failed, trying the secondar', partial: true });
  step(300, 5000);
  t.equal(tr.done, false, diag(tr.result()));
  req('/x.ipxe', 200);
  line('http://s.example.org/x.ipxe... ok');
  t.equal(tr.result().verdict, 'pass', diag(tr.result()));
});
