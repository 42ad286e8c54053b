// The diagnosis must not depend on our builder: images made by hand with the seed's own commands (sgdisk,
// mke2fs, extlinux) and damaged with ordinary tools (sgdisk, dd, debugfs) fail at the same stage with the
// same catalog code as the shipped scenarios, and lint flags them without booting.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { copyFile } from 'node:fs/promises';
import { buildSeedRecipeImage, SEED_EMBEDDED_CONF } from './fixtures/seed-recipe.ts';
import { runCli, makeTemp, rmTemp, isRoot } from './fixtures/cli-run.ts';

interface Report {
  verdict: string;
  failure: { stage: string; code: string } | null;
  lint: Array<{ severity: string; code: string }>;
}

t.test('damaged hand-made seed images: same stage, code and lint as our scenarios', { skip: !isRoot && 'needs root (loop mount for extlinux --install)' }, async (t) => {
  const dir = makeTemp('foreign');
  t.teardown(rmTemp(dir));
  const art = join(dir, 'artifacts');
  const good = await buildSeedRecipeImage(dir, 'good.img', { 'extlinux.conf': SEED_EMBEDDED_CONF });
  const copy = async (name: string) => {
    const p = join(dir, name);
    await copyFile(good, p);
    return p;
  };
  const cases: Array<{ name: string; make: () => Promise<string>; stage: string; code: string; lint: string }> = [
    { name: 'attribute cleared with sgdisk', make: async () => { const p = await copy('noattr.img'); await execa('sgdisk', ['--attributes=1:clear:2', p]); return p; }, stage: 'gpt', code: 'GPTMBR_MISSING_OS', lint: 'LINT_NO_BOOTABLE_PARTITION' },
    { name: 'VBR zeroed with dd', make: async () => { const p = await copy('novbr.img'); await execa('dd', ['if=/dev/zero', `of=${p}`, 'bs=512', 'seek=2048', 'count=1', 'conv=notrunc', 'status=none']); return p; }, stage: 'vbr', code: 'GPTMBR_MISSING_OS', lint: 'LINT_VBR_NO_SIGNATURE' },
    { name: 'ldlinux.c32 removed with debugfs', make: async () => { const p = await copy('noc32.img'); await execa('debugfs', ['-w', '-R', 'rm /extlinux/ldlinux.c32', `${p}?offset=1048576`]); return p; }, stage: 'ldlinux-c32', code: 'LDLINUX_C32_MISSING', lint: 'LINT_NO_LDLINUX_C32' },
    { name: 'config without DEFAULT', make: () => buildSeedRecipeImage(dir, 'nodefault.img', { 'extlinux.conf': 'LABEL ipxe\n  LINUX ipxe.lkrn\n' }), stage: 'config', code: 'CONFIG_NO_DEFAULT', lint: 'LINT_CONFIG_NO_DEFAULT' },
  ];
  for (const c of cases) {
    const img = await c.make();
    const lint = await runCli(['lint', img, '--json'], { artifacts: art });
    t.equal(lint.exitCode, 1, `${c.name}: lint finds an error without booting`);
    t.match(lint.stdout, c.lint, `${c.name}: lint code ${c.lint}`);
    const boot = await runCli(['boot', img, '--json'], { artifacts: art });
    t.equal(boot.exitCode, 1, `${c.name}: the boot fails (exit 1)`);
    const r = JSON.parse(boot.stdout) as Report;
    t.match(r.failure, { stage: c.stage, code: c.code }, `${c.name}: fails at ${c.stage} with ${c.code}`, { stderr: boot.stderr.slice(-2000) });
  }
});
