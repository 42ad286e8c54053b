import t from 'tap';
import { joinWrapped } from '../../harness/console/index.ts';
import { decodeIpxeError, matchFailure } from '../../harness/stages/index.ts';

t.test('exact messages of each part map to a stage and a stable code', async (t) => {
  const cases: [string, string, string][] = [
    ['Boot failed: not a bootable disk', 'SEABIOS_NOT_BOOTABLE', 'mbr'],
    ['Missing OS', 'GPTMBR_MISSING_OS', 'gpt'],
    ['Multiple active partitions', 'GPTMBR_MULTIPLE_ACTIVE', 'gpt'],
    ['Disk error', 'GPTMBR_DISK_ERROR', 'gpt'],
    ['Boot error', 'SYSLINUX_BOOT_ERROR', 'vbr'],
    ['Load error - Boot error', 'SYSLINUX_LOAD_ERROR', 'ldlinux-sys'],
    ['Failed to load ldlinux.c32', 'LDLINUX_C32_MISSING', 'ldlinux-c32'],
    ['Boot failed: please change disks and press a key to continue.', 'LDLINUX_C32_MISSING', 'ldlinux-c32'],
    ['WARNING: No configuration file found', 'CONFIG_NOT_FOUND', 'config'],
    ['No DEFAULT or UI configuration directive found!', 'CONFIG_NO_DEFAULT', 'config'],
    ['Loading missing.lkrn... failed: No such file or directory', 'KERNEL_NOT_FOUND', 'ipxe'],
    ['Booting kernel failed: Invalid argument', 'KERNEL_NOT_BZIMAGE', 'ipxe'],
    ['ping: command not found', 'IPXE_COMMAND_NOT_FOUND', 'script'],
    ['No bootable device.  Retrying in 0 seconds.', 'NO_BOOTABLE_DEVICE', 'bios'],
    ['Booting from Floppy...', 'FELL_THROUGH_TO_NEXT_DEVICE', 'bios'],
    ['Booting from ROM...', 'FELL_THROUGH_TO_NEXT_DEVICE', 'bios'],
    ['KVM internal error. Suberror: 1', 'KVM_INTERNAL_ERROR', 'bios'],
    ['http://h/x.ipxe... No such file or directory (http://ipxe.org/2d0c613b)', 'IPXE_HTTP_404', 'chain'],
    ['http://h/x... Permission denied (http://ipxe.org/410c613c)', 'IPXE_HTTP_403', 'chain'],
    ['Configuring (net0 52:54:00:12:34:56)...... No configuration methods succeeded (http://ipxe.org/040ee119)', 'IPXE_NO_DHCP', 'network'],
    ['Could not start download: Error 0x3e11613b', 'IPXE_DNS_NOT_FOUND', 'chain'],
    ['http://h/x... Connection timed out (http://ipxe.org/4c0a6035)', 'IPXE_TIMEOUT', 'chain'],
    ['something odd (http://ipxe.org/1d123456)', 'IPXE_ERROR', 'script'],
  ];
  for (const [text, code, stage] of cases) {
    const m = matchFailure(text);
    t.equal(m?.code, code, text);
    t.equal(m?.stage, stage, `${text} → stage`);
  }
});

t.test('ordinary boot output is not a failure', async (t) => {
  for (const text of ['SeaBIOS (version 1.16.2-debian-1.16.2-1)', 'Booting from Hard Disk...', 'Loading ipxe.lkrn... ok', 'Configuring (net0 52:54:00:12:34:56)...... ok', 'http://10.0.2.2:8731/x.ipxe... ok', 'Press Ctrl-B for the iPXE command line...']) {
    t.equal(matchFailure(text), null, text);
  }
});

t.test('prompts count only as unfinished lines', async (t) => {
  t.equal(matchFailure('boot: ', { partial: true })?.code, 'BOOT_PROMPT');
  t.equal(matchFailure('boot: ', { partial: false }), null);
  t.equal(matchFailure('iPXE> ', { partial: true })?.code, 'IPXE_SHELL');
});

t.test('an ipxe.org URL split by the 80-column wrap still decodes', async (t) => {
  const real = ['http://10.0.2.2:8731/this/path/is/deliberately/quite/long/so/that/the/url/wraps/', 'nothere.ipxe... No such file or directory (http://ipxe.org/2d0c613b)'];
  const wrapped80 = 'x'.repeat(57) + ' (http://ipxe.org/2d0c6';
  t.equal(wrapped80.length, 80);
  t.equal(matchFailure(wrapped80), null, 'the first half alone does not match');
  t.equal(matchFailure(joinWrapped([wrapped80, '13b)'])[0]!)?.code, 'IPXE_HTTP_404');
  t.equal(matchFailure(joinWrapped(real)[0]!)?.code, 'IPXE_HTTP_404');
});

t.test('decodeIpxeError splits the code and names the errno class', async (t) => {
  const d = decodeIpxeError('0x2d0c613b');
  t.match(d, { hex: '2d0c613b', errno: 0x2d, errnoName: 'ENOENT', disambiguator: 0x0c, module: 0x61, platform: 0x3b, known: { code: 'IPXE_HTTP_404' } });
  const expect: Record<string, string> = { '0f': 'ECONNRESET', '4c': 'ETIMEDOUT', '28': 'ENETUNREACH', '02': 'EACCES', '41': 'EPERM', '1d': 'EIO', '04': 'EADDRNOTAVAIL', '3e': 'ENXIO', '2e': 'ENOEXEC' };
  for (const [top, name] of Object.entries(expect)) t.equal(decodeIpxeError(`${top}000000`)?.errnoName, name, top);
  t.equal(decodeIpxeError('1d123456')?.known, undefined);
  t.equal(decodeIpxeError('xyz'), null);
  t.equal(decodeIpxeError('2e008001')?.known?.code, 'IPXE_EXEC_FORMAT');
});
