import t from 'tap';
import type { DiskMap } from '../../harness/image/types.ts';
import { applyMutation, fuzzTargets, planMutations } from '../../harness/reliability/fuzz-mutate.ts';
import { caseProblems, type FuzzCaseResult } from '../../harness/reliability/fuzz-run.ts';

// A disk map shaped like the default image's (GPT, ext2 boot partition, SYSLINUX files in two extents).
const map = {
  regions: [
    { name: 'mbr', kind: 'mbr', ranges: [{ start: 0, end: 512 }] },
    { name: 'gpt-header', kind: 'gpt-header', ranges: [{ start: 512, end: 1024 }] },
    { name: 'gpt-entries', kind: 'gpt-entries', ranges: [{ start: 1024, end: 17408 }] },
    { name: 'vbr', kind: 'vbr', ranges: [{ start: 1048576, end: 1049088 }] },
    { name: '/extlinux/ldlinux.sys', kind: 'file', ranges: [{ start: 20000, end: 20100 }, { start: 30000, end: 30050 }] },
    { name: '/extlinux/ldlinux.c32', kind: 'file', ranges: [{ start: 40000, end: 41000 }] },
    { name: '/extlinux/extlinux.conf', kind: 'file', ranges: [{ start: 50000, end: 50075 }] },
    { name: '/extlinux/ipxe.lkrn', kind: 'file', ranges: [{ start: 60000, end: 70000 }] },
  ],
} as unknown as DiskMap;

t.test('the targets are the boot-critical regions, code marked as code', async (t) => {
  const targets = fuzzTargets(map);
  t.same(targets.map((x) => `${x.name}:${x.stage}:${x.code}`), ['mbr-code:mbr:true', 'mbr-table:mbr:false', 'gpt-header:gpt:false', 'gpt-entries:gpt:false', 'vbr:vbr:true', 'ldlinux.sys:ldlinux-sys:true', 'ldlinux.c32:ldlinux-c32:true', 'extlinux.conf:config:false', 'lkrn-header:ipxe:true']);
  t.same(targets.find((x) => x.name === 'lkrn-header')?.ranges, [{ start: 60000, end: 61024 }]);
});

t.test('a seed gives the same plan every time; another seed another plan; every mutation stays inside its region', async (t) => {
  const targets = fuzzTargets(map);
  const a = planMutations(targets, 7, 200);
  t.same(planMutations(targets, 7, 200), a, 'reproducible');
  t.notSame(planMutations(targets, 8, 200), a, 'the seed matters');
  t.same(new Set(a.map((m) => m.target)).size, targets.length, 'every region gets cases');
  t.ok(['flip', 'truncate-region', 'truncate-image'].every((k) => a.some((m) => m.kind === k)), 'every kind of mutation is used');
  const inside = (at: number, name: string) => targets.find((x) => x.name === name)!.ranges.some((r) => at >= r.start && at < r.end);
  for (const m of a) {
    if (m.kind === 'flip') t.ok(m.flips!.every((f) => inside(f.at, m.target) && f.xor > 0 && f.xor < 256), `#${m.index} flips inside ${m.target}`);
    if (m.kind === 'truncate-image') t.ok(inside(m.at!, m.target), `#${m.index} cuts inside ${m.target}`);
  }
});

t.test('applying: flips change exactly their bytes; a truncated region is zeroed across its extents', async (t) => {
  const disk = Buffer.alloc(70000, 0xaa);
  let size = disk.length;
  const io = { read: (at: number, n: number) => Buffer.from(disk.subarray(at, at + n)), write: (at: number, b: Buffer) => void b.copy(disk, at), truncate: (s: number) => void (size = s) };
  const sys = fuzzTargets(map).find((x) => x.name === 'ldlinux.sys')!;
  t.equal(applyMutation({ index: 0, target: 'ldlinux.sys', stage: 'ldlinux-sys', code: true, kind: 'flip', flips: [{ at: 20005, xor: 0xff }] }, sys, io), 1);
  t.equal(disk[20005], 0x55);
  t.equal(applyMutation({ index: 1, target: 'ldlinux.sys', stage: 'ldlinux-sys', code: true, kind: 'truncate-region', at: 90 }, sys, io), 60, '10 bytes of the first extent and all 50 of the second');
  t.equal(disk[20089], 0xaa);
  t.equal(disk[20090], 0);
  t.ok(disk.subarray(30000, 30050).every((b) => b === 0));
  t.equal(disk[30050], 0xaa, 'nothing past the region');
  applyMutation({ index: 2, target: 'ldlinux.sys', stage: 'ldlinux-sys', code: true, kind: 'truncate-image', at: 20050 }, sys, io);
  t.equal(size, 20050);
});

const outcome = (o: Partial<FuzzCaseResult['boot']> = {}): FuzzCaseResult['boot'] => ({ exitCode: 1, signal: null, ms: 3000, hung: false, stderrTail: '', verdict: 'fail', failedStage: 'mbr', failureCode: 'STAGE_TIMEOUT', endedBy: 'timeout', chainFetched: false, stageStatus: 'failed', ...o });
const lint = (o: Partial<FuzzCaseResult['lint']> = {}): FuzzCaseResult['lint'] => ({ exitCode: 0, signal: null, ms: 200, hung: false, stderrTail: '', errors: [], ...o });
const base = { code: true, changed: 3, stage: 'mbr' };

t.test('the classifier: a diagnosed failure is fine; crashes, hangs, overruns and unproven passes are defects', async (t) => {
  t.same(caseProblems({ ...base, lint: lint(), boot: outcome() }, 40), [], 'a failure with a report');
  t.same(caseProblems({ ...base, lint: lint({ exitCode: 2 }), boot: outcome({ exitCode: 2, verdict: null, stderrTail: 'error [IMAGE_TOO_SMALL]: image x is 309 bytes' }) }, 40), [], 'bad input, said so');
  t.same(caseProblems({ ...base, lint: lint(), boot: outcome({ exitCode: 0, verdict: 'pass', chainFetched: true }) }, 40), [], 'a pass the ledger proves');
  t.match(caseProblems({ ...base, lint: lint(), boot: outcome({ exitCode: 0, verdict: 'pass', chainFetched: false }) }, 40), [/pass with changed mbr code/]);
  t.same(caseProblems({ ...base, code: false, lint: lint(), boot: outcome({ exitCode: 0, verdict: 'pass', chainFetched: false }) }, 40), [], 'changed data (not code) needs no proof');
  t.match(caseProblems({ ...base, lint: lint({ exitCode: 134, stderrTail: 'x\n    at f (file:///a/b.ts:1:2)' }), boot: outcome() }, 40), [/lint crashed: exit 134/, /lint printed a stack trace/]);
  t.match(caseProblems({ ...base, lint: lint(), boot: outcome({ exitCode: null, signal: 'SIGKILL', hung: true, ms: 70000, verdict: null }) }, 40), [/boot hung/]);
  t.match(caseProblems({ ...base, lint: lint(), boot: outcome({ ms: 90_000 }) }, 40), [/overran its --timeout 40s/]);
  t.match(caseProblems({ ...base, lint: lint(), boot: outcome({ exitCode: 1, verdict: null }) }, 40), [/no JSON report/]);
});
