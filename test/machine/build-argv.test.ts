import t from 'tap';
import { buildQemuArgv, escapeOptValue, qemuViewOf } from '../../harness/machine/build-argv.ts';
import { lookUpQemuUser, qemuUserFor } from '../../harness/machine/qemu-user.ts';
import { DEFAULT_ICOUNT_SHIFT, resolveMachineOptions } from '../../harness/machine/resolve-options.ts';
import type { MachineOptions } from '../../harness/machine/types.ts';

const paths = { dir: '/tmp/m', qmpSocket: '/tmp/m/qmp.sock' };
const argvOf = (o: Partial<MachineOptions>): string[] => buildQemuArgv(resolveMachineOptions({ image: '/img/disk.raw', ...o }), paths);
/** Value following a flag, for every occurrence. */
const valuesOf = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag && argv[i + 1] !== undefined ? [argv[i + 1] as string] : []));

t.test('defaults: tcg, virtio disk with snapshot, virtio NIC without option ROM, live serial + trace', async (t) => {
  const a = argvOf({});
  t.equal(a[0], 'qemu-system-x86_64');
  t.same(valuesOf(a, '-machine'), ['pc,graphics=off']);
  t.same(valuesOf(a, '-accel'), ['tcg']);
  t.same(valuesOf(a, '-m'), ['256']);
  t.same(valuesOf(a, '-drive'), ['file=/img/disk.raw,format=raw,if=none,id=disk0,snapshot=on']);
  t.ok(valuesOf(a, '-device').includes('virtio-blk-pci,drive=disk0,bootindex=1'));
  t.ok(valuesOf(a, '-device').includes('virtio-net-pci,netdev=net0,romfile='));
  t.same(valuesOf(a, '-netdev'), ['user,id=net0']);
  t.same(valuesOf(a, '-serial'), ['stdio']);
  t.same(valuesOf(a, '-qmp'), ['unix:/tmp/m/qmp.sock,server=on,wait=off']);
  t.same(valuesOf(a, '-trace'), ['enable=blk_co_preadv', 'enable=serial_write'], 'disk reads and UART writes are traced with QEMU timestamps');
  t.same(valuesOf(a, '-msg'), ['timestamp=on']);
  t.ok(a.includes('-no-reboot') && a.includes('-nodefaults'));
  t.match(valuesOf(a, '-boot')[0], /reboot-timeout=0/);
  // Time warp by default (tcg); the RTC follows the virtual clock from the host's date at start.
  t.same(valuesOf(a, '-icount'), [`shift=${DEFAULT_ICOUNT_SHIFT},sleep=off`]);
  t.match(valuesOf(a, '-rtc')[0], /^base=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,clock=vm$/);
  t.notOk(a.includes('-smbios'));
});

t.test('real time (icountShift null), kvm without icount, guest clock option, user -rtc wins', async (t) => {
  t.notOk(argvOf({ icountShift: null }).includes('-icount'));
  t.notOk(argvOf({ accel: 'kvm' }).includes('-icount'));
  t.equal(resolveMachineOptions({ image: 'x', accel: 'kvm' }).icountShift, null);
  t.equal(resolveMachineOptions({ image: 'x' }).guestClock, true);
  t.equal(resolveMachineOptions({ image: 'x', guestClock: false }).guestClock, false);
  t.throws(() => resolveMachineOptions({ image: 'x', guestClock: 'yes' as unknown as boolean }), { message: /guestClock/ });
  t.equal(resolveMachineOptions({ image: 'x' }, Date.UTC(2024, 1, 29, 12, 0, 1, 900)).rtcBaseSec, Date.UTC(2024, 1, 29, 12, 0, 1) / 1000);
  t.same(valuesOf(buildQemuArgv(resolveMachineOptions({ image: 'x' }, Date.UTC(2024, 1, 29, 12, 0, 1)), paths), '-rtc'), ['base=2024-02-29T12:00:01,clock=vm']);
  const own = argvOf({ extraArgs: ['-rtc', 'base=utc'] });
  t.same(valuesOf(own, '-rtc'), ['base=utc']);
});

t.test('every NIC model keeps romfile= empty', async (t) => {
  for (const nicModel of ['virtio-net-pci', 'e1000', 'rtl8139'] as const)
    t.ok(valuesOf(argvOf({ nicModel }), '-device').includes(`${nicModel},netdev=net0,romfile=`), nicModel);
});

t.test('disk buses', async (t) => {
  t.ok(valuesOf(argvOf({ diskBus: 'ide' }), '-device').includes('ide-hd,drive=disk0,bus=ide.0,unit=0,bootindex=1'));
  const ahci = valuesOf(argvOf({ diskBus: 'ahci' }), '-device');
  t.ok(ahci.includes('ahci,id=ahci0') && ahci.includes('ide-hd,drive=disk0,bus=ahci0.0,bootindex=1'));
});

t.test('icount, kvm, smbios, bootfile, escaping, extra args', async (t) => {
  t.same(valuesOf(argvOf({ icountShift: 8 }), '-icount'), ['shift=8,sleep=off']);
  const kvm = argvOf({ accel: 'kvm' });
  t.same(valuesOf(kvm, '-accel'), ['kvm']);
  const a = argvOf({ smbiosSerial: 'SN,1', bootfileUrl: 'http://10.0.2.2:80/a.ipxe?x=1,2', image: '/i/a,b.img', extraArgs: ['-S'] });
  t.same(valuesOf(a, '-smbios'), ['type=1,serial=SN,,1']);
  t.same(valuesOf(a, '-netdev'), ['user,id=net0,bootfile=http://10.0.2.2:80/a.ipxe?x=1,,2']);
  t.match(valuesOf(a, '-drive')[0], /^file=\/i\/a,,b\.img,/);
  t.equal(a.at(-1), '-S');
  t.equal(escapeOptValue('a,,b'), 'a,,,,b');
  t.equal(argvOf({ qemuBinary: '/opt/q', machineType: 'q35' })[0], '/opt/q');
});

t.test('option validation names the field', async (t) => {
  t.throws(() => resolveMachineOptions({ image: 'x', accel: 'kvm', icountShift: 4 }), { code: 'MACHINE_OPTION_INVALID', message: /icountShift/ });
  t.throws(() => resolveMachineOptions({ image: 'x', icountShift: 1.5 }), { message: /icountShift/ });
  t.throws(() => resolveMachineOptions({ image: 'x', diskBus: 'scsi' as 'ide' }), { message: /diskBus.*scsi/ });
  t.throws(() => resolveMachineOptions({ image: 'x', nicModel: 'ne2k' as 'e1000' }), { message: /nicModel/ });
  t.throws(() => resolveMachineOptions({ image: '' }), { message: /image/ });
  t.throws(() => resolveMachineOptions({ image: 'x', memoryMiB: 0 }), { message: /memoryMiB/ });
  t.equal(resolveMachineOptions({ image: 'x' }, 1234).startedAt, 1234);
});

t.test('with the guest clock on, QEMU starts paused (-S) so guest time 0 is anchored at `cont`', async (t) => {
  const paths = { dir: '/tmp/x', qmpSocket: '/tmp/x/qmp.sock' };
  t.ok(buildQemuArgv(resolveMachineOptions({ image: '/i.img' }), paths).includes('-S'));
  t.notOk(buildQemuArgv(resolveMachineOptions({ image: '/i.img', guestClock: false }), paths).includes('-S'));
});

t.test('QEMU is confined: seccomp always; as root also a chroot into its temp dir and the drop to an unprivileged user', async (t) => {
  const base = resolveMachineOptions({ image: '/img/disk.raw' });
  const asUser = buildQemuArgv({ ...base, confine: null }, paths);
  t.same(valuesOf(asUser, '-sandbox'), ['on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny'], 'not root: every deny option, set*id included');
  t.notOk(asUser.includes('-runas') || asUser.includes('-chroot'), 'no drop to make when not root');
  const asRoot = buildQemuArgv({ ...base, confine: { user: 'nobody', uid: 65534, gid: 65534 } }, paths);
  // elevateprivileges=deny would forbid the -runas drop itself (QEMU then never starts).
  t.same(valuesOf(asRoot, '-sandbox'), ['on,obsolete=deny,spawn=deny,resourcecontrol=deny']);
  t.same(valuesOf(asRoot, '-runas'), ['65534:65534']);
  t.same(valuesOf(asRoot, '-chroot'), ['/tmp/m']);
  t.equal(qemuViewOf({ confine: null }, paths, 's.png'), '/tmp/m/s.png');
  t.equal(qemuViewOf({ confine: { user: 'nobody', uid: 1, gid: 1 } }, paths, 's.png'), '/s.png', 'inside the chroot the temp dir is /');
  // Scenario extra args still come last (they may add to, not undo, the confinement: QEMU rejects a second -sandbox).
  t.equal(argvOf({ extraArgs: ['-S'] }).at(-1), '-S');
});

t.test('the unprivileged user: looked up in passwd, numeric uid:gid taken as is, root refused', async (t) => {
  const dir = t.testdir({ passwd: 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nqemu:x:120:130::/:/usr/sbin/nologin\n' });
  const passwd = `${dir}/passwd`;
  t.same(lookUpQemuUser('nobody', passwd), { user: 'nobody', uid: 65534, gid: 65534 });
  t.same(lookUpQemuUser('qemu', passwd), { user: 'qemu', uid: 120, gid: 130 });
  t.same(lookUpQemuUser('1234:5678', passwd), { user: '1234:5678', uid: 1234, gid: 5678 });
  t.throws(() => lookUpQemuUser('root', passwd), { code: 'QEMU_USER_INVALID', message: /root/ });
  t.throws(() => lookUpQemuUser('0:0', passwd), { code: 'QEMU_USER_INVALID' });
  t.throws(() => lookUpQemuUser('ghost', passwd), { code: 'QEMU_USER_INVALID', message: /ghost.*not in/ });
  t.equal(qemuUserFor(undefined, false), null, 'a harness that is not root has nothing to drop');
  t.equal(qemuUserFor('nobody', true)?.user, 'nobody');
  t.throws(() => resolveMachineOptions({ image: 'x', runAs: '' }), { message: /runAs/ });
});
