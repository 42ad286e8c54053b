import t from 'tap';
import { execa } from 'execa';
import { inspectImage } from '../../harness/image/inspect-image.ts';
import { findFileRegion } from '../../harness/image/read-mapped-file.ts';
import { formatLintFindings, lintImage, type LintReport } from '../../harness/lint/index.ts';
import { runLint } from '../../harness/cli/lint-command.ts';
import { makeTempDir, makeTestImage, patchImage, P1, SEED_CONFIG } from './make-image.ts';

const root = process.getuid?.() === 0;
const codes = (r: LintReport, sev = 'error') => r.findings.filter((f) => f.severity === sev).map((f) => f.code);

t.test('lint on built images', { skip: root ? false : 'building test images needs root (loop mount)' }, async (t) => {
  const tmp = await makeTempDir();
  t.teardown(() => tmp.close());

  t.test('a good seed image has no errors', async (t) => {
    const img = await makeTestImage(tmp.dir, 'good');
    const r = await lintImage(img);
    t.same(codes(r), [], formatLintFindings(r));
    const out: string[] = [];
    t.equal(await runLint([img, '--json'], { out: (s) => out.push(s), err: (s) => out.push(s) }), 0);
    t.equal((JSON.parse(out.join('')) as LintReport).image, img);
  });

  t.test('disk-level: zeroed MBR code, no bootable, two bootable', async (t) => {
    const a = await makeTestImage(tmp.dir, 'mbrzero');
    await patchImage(a, 0, Buffer.alloc(440));
    t.ok(codes(await lintImage(a)).includes('LINT_MBR_NO_BOOT_CODE'));
    const b = await makeTestImage(tmp.dir, 'noboot');
    await execa('sfdisk', ['--part-attrs', b, '1', '']);
    t.ok(codes(await lintImage(b)).includes('LINT_NO_BOOTABLE_PARTITION'));
    await execa('sfdisk', ['--part-attrs', b, '1', 'LegacyBIOSBootable']);
    await execa('sfdisk', ['--part-attrs', b, '2', 'LegacyBIOSBootable']);
    t.ok(codes(await lintImage(b)).includes('LINT_MULTIPLE_BOOTABLE_PARTITIONS'));
  });

  t.test('SYSLINUX install: wrong VBR pointer, corrupt ldlinux.sys, foreign ldlinux.c32', async (t) => {
    const a = await makeTestImage(tmp.dir, 'vbr');
    const map = await inspectImage(a);
    const sys = findFileRegion(map, 'ldlinux.sys')!;
    const buf = Buffer.alloc(4);
    buf.writeUInt32LE(12345);
    await patchImage(a, P1 + 0x11a, buf); // sect1ptr0 of SYSLINUX 6.04's boot sector
    t.ok(codes(await lintImage(a)).includes('LINT_VBR_WRONG_LDLINUX_LBA'));
    const b = await makeTestImage(tmp.dir, 'csum');
    const sysB = findFileRegion(await inspectImage(b), 'ldlinux.sys')!;
    await patchImage(b, sysB.ranges[0]!.start + 700, Buffer.from([0x5a, 0xa5]));
    t.ok(codes(await lintImage(b)).includes('LINT_LDLINUX_SYS_CHECKSUM'));
    t.ok(sys.ranges.length > 0);
    const c = await makeTestImage(tmp.dir, 'c32', { ldlinuxC32: '/usr/lib/syslinux/modules/bios/ldlinux.c32' });
    t.ok(codes(await lintImage(c)).includes('LINT_LDLINUX_C32_MISMATCH'));
  });

  t.test('config, kernel and script', async (t) => {
    const a = await makeTestImage(tmp.dir, 'cfg', { config: 'SAY hi\nLABEL ipxe\n  LINUX ipxe.lkrn\n  INITRD missing.conf\n' });
    const ca = codes(await lintImage(a));
    t.ok(ca.includes('LINT_CONFIG_NO_DEFAULT'), ca.join());
    t.ok(ca.includes('LINT_CONFIG_MISSING_FILE'), ca.join());
    const b = await makeTestImage(tmp.dir, 'notbz', { kernel: '/etc/hostname' });
    t.ok(codes(await lintImage(b)).includes('LINT_KERNEL_NOT_BZIMAGE'));
    const c = await makeTestImage(tmp.dir, 'ping', { script: '#!ipxe\ndhcp && ping 10.0.2.2\nchain https://example.org/x.ipxe || poweroff\n' });
    const r = await lintImage(c);
    const unknown = r.findings.filter((f) => f.code === 'LINT_IPXE_UNKNOWN_COMMAND').map((f) => f.message);
    t.equal(unknown.length, 2, unknown.join('\n'));
    t.match(unknown.join('\n'), /`ping`[\s\S]*`poweroff`/);
    t.ok(codes(r).includes('LINT_IPXE_NO_HTTPS'));
    const d = await makeTestImage(tmp.dir, 'append', { config: SEED_CONFIG.replace('INITRD ipxe.conf', 'APPEND dhcp && console --x 80 && chain http://x/y') });
    t.same(codes(await lintImage(d)), ['LINT_IPXE_UNKNOWN_COMMAND']);
  });

  t.test('fs features SYSLINUX cannot read', async (t) => {
    const a = await makeTestImage(tmp.dir, 'enc');
    const sb = Buffer.alloc(4);
    sb.writeUInt32LE(0x10002); // filetype + encrypt
    await patchImage(a, P1 + 1024 + 96, sb);
    t.ok(codes(await lintImage(a)).includes('LINT_FS_FEATURE_ENCRYPT'));
  });
});

t.test('runLint bad input', async (t) => {
  const err: string[] = [];
  const io = { out: () => {}, err: (s: string) => err.push(s) };
  t.equal(await runLint([], io), 2);
  t.equal(await runLint(['/nonexistent.img'], io), 2);
  t.equal(await runLint(['a', '--bogus'], io), 2);
  t.match(err.join('\n'), /IMAGE_MISSING/, 'same code as boot for a missing image');
});
