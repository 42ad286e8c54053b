import t from 'tap';
import { cellName, expandCells, matchesOnly, matrixCells, parseOnly } from '../../harness/scenario/cells.ts';

const base = { name: 'hw', file: '/x/hw.ts', def: { description: 'd', image: 'img', expect: { pass: 'chain' }, machine: { smbiosSerial: 'S' } } };

t.test('a covering set takes every value of every axis at least once; cross takes every combination', async (t) => {
  const m = { diskBus: ['virtio', 'ide', 'nvme'] as const, nic: ['e1000', 'rtl8139'] as const, machine: ['pc', 'q35'] as const };
  const cover = matrixCells({ diskBus: [...m.diskBus], nic: [...m.nic], machine: [...m.machine] });
  t.equal(cover.length, 3);
  for (const [axis, values] of Object.entries(m)) for (const v of values) t.ok(cover.some((c) => c[axis as 'nic'] === v), `${axis}=${v} covered`);
  t.equal(matrixCells({ diskBus: [...m.diskBus], nic: [...m.nic], machine: [...m.machine], cross: true }).length, 12);
});

t.test('cells are scenarios of their own: machine options set, expected failures declared with the reason', async (t) => {
  const cells = expandCells({ ...base, def: { ...base.def, matrix: { diskBus: ['virtio', 'ide'], memoryMiB: [256, 512], expectFail: [{ when: { diskBus: 'ide' }, failAt: 'mbr', why: 'no IDE here' }] } } });
  t.same(cells.map((c) => c.name), ['hw[diskBus=virtio,memoryMiB=256]', 'hw[diskBus=ide,memoryMiB=512]']);
  t.match(cells[0]!.def.machine, { diskBus: 'virtio', memoryMiB: 256, smbiosSerial: 'S' });
  t.same(cells[0]!.def.expect, { pass: 'chain' });
  t.same(cells[1]!.def.expect, { failAt: 'mbr' });
  t.equal(cells[1]!.expectedFailure, 'no IDE here');
  t.same(expandCells(base).map((c) => c.name), ['hw'], 'no matrix: the scenario itself');
  t.equal(cellName('x', { nic: 'e1000' }), 'x[nic=e1000]');
});

t.test('--only picks cells by axis values', async (t) => {
  const cells = expandCells({ ...base, def: { ...base.def, matrix: { diskBus: ['virtio', 'ide'], nic: ['e1000', 'rtl8139'] } } });
  const only = parseOnly('diskBus=ide,nic=rtl8139');
  t.same(cells.filter((c) => matchesOnly(c, only)).map((c) => c.name), ['hw[diskBus=ide,nic=rtl8139]']);
  t.throws(() => parseOnly('disk=ide'), /axes diskBus, nic, machine, memoryMiB/);
});
