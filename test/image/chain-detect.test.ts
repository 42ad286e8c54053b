// Chain detection from an image's own bytes, and lint and ladder per chain, on Debian's real files.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { describeChain, identifyMbrCode } from '../../harness/image/chain-detect.ts';
import { inspectImage } from '../../harness/image/inspect-image.ts';
import { lintImage } from '../../harness/lint/lint-image.ts';
import { ladderFor } from '../../harness/stages/chains.ts';

const ISO = '/usr/lib/ipxe/ipxe.iso';

t.test('MBR codes are fingerprinted against the host\'s own files, else by their messages', async (t) => {
  t.match(identifyMbrCode(readFileSync('/usr/lib/syslinux/mbr/gptmbr.bin')), { kind: 'gptmbr', how: /identical to \/usr\/lib\/syslinux\/mbr\/gptmbr\.bin/ });
  t.match(identifyMbrCode(readFileSync('/usr/lib/syslinux/mbr/mbr.bin')), { kind: 'mbr' });
  t.match(identifyMbrCode(readFileSync('/usr/lib/syslinux/mbr/altmbr.bin')), { kind: 'altmbr' });
  t.match(identifyMbrCode(Buffer.alloc(512)), { kind: 'zero' });
  t.match(identifyMbrCode(Buffer.alloc(512, 0x90)), { kind: 'unknown' });
  // A changed byte in the code: no longer identical, but its messages still name it.
  const g = Buffer.from(readFileSync('/usr/lib/syslinux/mbr/gptmbr.bin'));
  g[10] = (g[10] ?? 0) ^ 0xff;
  t.match(identifyMbrCode(g), { kind: 'gptmbr', how: /contains "Missing OS"/ });
});

t.test("Debian's ipxe.iso: isohybrid → ISOLINUX, its own ladder, and lint with no error", async (t) => {
  const map = await inspectImage(ISO);
  t.match(map.chain, { mbrCode: { kind: 'isohdpfx' }, scheme: 'iso-hybrid', loader: { kind: 'isolinux' }, ladder: 'isolinux-hybrid' }, describeChain(map.chain!));
  t.notOk(map.regions.some((r) => r.kind === 'vbr'), 'a partition starting at sector 0 has no boot sector of its own');
  const ladder = ladderFor(map.chain);
  t.same(ladder.stages.filter((s) => s.skip).map((s) => s.id), ['gpt', 'vbr']);
  const lint = await lintImage(ISO, { map });
  t.same(lint.findings.filter((f) => f.severity === 'error').map((f) => f.code), [], 'no error on an image that boots');
  t.ok(lint.findings.some((f) => f.code === 'LINT_CHAIN_UNCHECKED'), 'says what was not checked');
});

t.test('the GRUB ladder has stages of its own and skips the SYSLINUX ones', async (t) => {
  const l = ladderFor({ mbrCode: { kind: 'grub-boot', how: 'x' }, scheme: 'mbr', loader: { kind: 'grub' }, ladder: 'grub' });
  t.same(l.stages.map((s) => `${s.id}${s.skip ? ' (skip)' : ''}`), ['bios', 'mbr', 'gpt (skip)', 'vbr (skip)', 'grub-core', 'grub-normal', 'ldlinux-sys (skip)', 'ldlinux-c32 (skip)', 'config (skip)', 'ipxe', 'script', 'network', 'chain', 'kernel', 'init']);
});
