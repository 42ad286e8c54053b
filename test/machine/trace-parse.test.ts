import t from 'tap';
import { detectInfraError, lastQemuError } from '../../harness/machine/infra-error.ts';
import { LineSplitter, parseTraceLine, toDiskReadEvent } from '../../harness/machine/trace-parse.ts';

t.test('parses blk_co_preadv lines', async (t) => {
  const r = parseTraceLine('5131@1795649190.673104:blk_co_preadv blk 0x557703b72940 bs 0x557703b8b680 offset 1048576 bytes 512 flags 0x8');
  t.same(r, { pid: 5131, epochMs: 1795649190673.104, offset: 1048576, bytes: 512, flags: 8 });
  t.same(toDiskReadEvent(r!, 1795649190600), { kind: 'disk-read', atMs: 73.104, offset: 1048576, bytes: 512 });
  t.equal(parseTraceLine('2026-11-25T23:26:00.1Z qemu-system-x86_64: warning: x'), null);
  t.equal(parseTraceLine('5131@1795649190.673104:blk_co_pwritev blk 0x1 bs 0x2 offset 0 bytes 512 flags 0x0'), null);
  t.equal(parseTraceLine('1@2.5:blk_co_preadv blk 0x1 bs 0x2 offset 0 bytes 512')?.epochMs, 2500);
});

t.test('line splitter keeps partial lines', async (t) => {
  const s = new LineSplitter();
  t.same(s.push('a\r\nb'), ['a']);
  t.same(s.push('c\nd'), ['bc']);
  t.same(s.flush(), ['d']);
  t.same(s.flush(), []);
});

t.test('infra errors', async (t) => {
  t.match(detectInfraError('KVM internal error. Suberror: 1\nemulation failure'), { fatalWhileRunning: true, message: /accel tcg/ });
  t.match(detectInfraError("qemu: could not load PC BIOS 'bios-256k.bin'"), { message: /seabios/ });
  t.match(detectInfraError('qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0\nAssertion failed'), { fatalWhileRunning: true });
  t.equal(detectInfraError('SeaBIOS (version 1.16.2)'), null);
  t.match(detectInfraError("qemu-system-x86_64: -sandbox on,obsolete=deny: There is no option group 'sandbox'"), { message: /without seccomp/ });
  t.match(detectInfraError("qemu-system-x86_64: -sandbox on,obsolete=deny,spawn=deny: Invalid parameter 'spawn'"), { message: /sandbox option `spawn`/ });
  t.equal(lastQemuError('2026-11-25T23:26:00.100Z qemu-system-x86_64: -foo: invalid option\n'), 'qemu-system-x86_64: -foo: invalid option');
  t.equal(lastQemuError('nothing here'), null);
});

t.test('serial_write trace lines become guest bytes; divisor writes (LCR.DLAB) are not data', async (t) => {
  const { parseSerialWriteLine, UartDecoder } = await import('../../harness/machine/trace-parse.ts');
  const w = parseSerialWriteLine('24825@1795652711.656093:serial_write write addr 0x00 val 0x1b');
  t.same(w, { epochMs: 1795652711656.093, addr: 0, val: 0x1b });
  t.equal(parseSerialWriteLine('24825@1795652711.656093:blk_co_preadv blk 0x1 bs 0x2 offset 0 bytes 512 flags 0x0'), null);
  const d = new UartDecoder();
  const bytes = [
    { addr: 0, val: 0x41 }, // 'A'
    { addr: 3, val: 0x83 }, // DLAB on (SYSLINUX's SERIAL sets the baud rate)
    { addr: 0, val: 0x01 }, // divisor low
    { addr: 1, val: 0x00 }, // divisor high
    { addr: 3, val: 0x03 }, // DLAB off, 8N1
    { addr: 0, val: 0x42 }, // 'B'
  ].map((x) => d.push({ epochMs: 0, ...x }));
  t.same(bytes, [0x41, null, null, null, null, 0x42]);
});
