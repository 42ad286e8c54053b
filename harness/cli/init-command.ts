import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile, appendFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import { CONFIG_FILES, findConfigFile } from '../project/config.ts';
import type { CliIo } from './io.ts';

const CONFIG = `import { defineConfig } from 'bootchain/define';

export default defineConfig({
  // Your scenarios: boot-tests/<name>.ts, each \`export default defineScenario({...})\`. Run them with
  // \`npx bootchain test\` (bootchain's own examples run as bootchain:NAME: \`npx bootchain list --examples\`).
  scenarios: 'boot-tests',
  // Your image definitions: images/<name>/extlinux/extlinux.conf, images/<name>/ipxe/ipxe.conf, optional image.ts.
  images: 'images',
  // One folder per run: console.txt, report.json, report.html, ledger.json, a repro bundle when a boot fails.
  artifacts: 'artifacts',
  // Scenarios booted at once.
  jobs: 2,
});
`;

const SCENARIO = `import { defineScenario } from 'bootchain/define';

// Builds images/example with the seed's layout (GPT, gptmbr.bin, EXTLINUX on ext2, iPXE with ipxe.conf as its
// INITRD), boots it in QEMU, and serves ipxe1.example.org inside the boot's own private network, so the
// unmodified \`chain http://ipxe1.example.org/myconfig.ipxe?serial=\${serial}\` reaches a stub.
export default defineScenario({
  description: 'example: images/example boots through EXTLINUX and iPXE to the chained config',
  image: 'example',
  // Or boot an image you build yourself (raw or .img.gz, relative to this project):
  // image: { file: 'dist/boot.img.gz' },
  machine: { smbiosSerial: 'EXAMPLE-0001' },
  hosts: {
    'ipxe1.example.org': {
      routes: [{ path: '/myconfig.ipxe', template: '#!ipxe\\necho chained config ran for \${query.serial}\\n', contentType: 'text/plain' }],
    },
  },
  stages: [{ id: 'chained', title: 'the chained config ran', console: 'chained config ran for EXAMPLE-0001' }],
  expect: { pass: 'chained' },
  ledger: [{ method: 'GET', host: 'ipxe1.example.org', path: '/myconfig.ipxe', query: { serial: '\${serial}' } }],
});
`;

const EXTLINUX_CONF = `DEFAULT ipxe
  SAY booting iPXE from SYSLINUX
LABEL ipxe
  LINUX ipxe.lkrn
  INITRD ipxe.conf
`;

const IPXE_CONF = `#!ipxe

echo booting LINUX from iPXE

# try to get an IP via dhcp
dhcp
chain http://ipxe1.example.org/myconfig.ipxe?serial=\${serial}
`;

const WORKFLOW = `# bootchain: boots your scenarios in QEMU on every push (written by \`npx bootchain init\`).
name: bootchain
on: [push, pull_request]
jobs:
  boot:
    runs-on: ubuntu-latest
    # Debian 12 as root: \`doctor --fix\` apt-installs QEMU, SeaBIOS, SYSLINUX, iPXE…; --privileged for the
    # loop mount of an EXTLINUX build and the boots' network namespaces.
    container: { image: 'node:20-bookworm', options: '--privileged' }
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - run: npx bootchain doctor --fix
      - run: npx bootchain test --reporter junit --reporter-file bootchain-junit.xml
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: bootchain
          path: |
            bootchain-junit.xml
            artifacts/
`;

/** The files `init` writes, relative to the project folder. */
export const INIT_FILES: ReadonlyArray<readonly [string, string]> = [
  ['bootchain.config.ts', CONFIG],
  ['boot-tests/example.ts', SCENARIO],
  ['images/example/extlinux/extlinux.conf', EXTLINUX_CONF],
  ['images/example/ipxe/ipxe.conf', IPXE_CONF],
  ['.github/workflows/bootchain.yml', WORKFLOW],
];

const IGNORE = ['artifacts/', '.bootchain/'];

/** `bootchain init [--force]`: scaffolds the config, one scenario, its image definition and a CI workflow. */
export async function runInit(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { force: { type: 'boolean', default: false } } });
  const root = process.cwd();
  if (!existsSync(join(root, 'package.json'))) throw new BootchainError('INIT_NO_PACKAGE', `${root} has no package.json`, 'run init in your project\'s folder (after `npm install --save-dev bootchain`)');
  const existing = findConfigFile(root);
  if (existing && dirname(existing) !== root) throw new BootchainError('INIT_NESTED', `a bootchain config already governs ${root}: ${existing}`, `add your scenarios to that project, or run init in ${dirname(existing)}`);
  // Nothing is written unless every file can be: no half-scaffolded project.
  const clash = [...CONFIG_FILES.map((f) => [f, ''] as const).filter(([f]) => f !== 'bootchain.config.ts'), ...INIT_FILES].map(([f]) => f).filter((f) => existsSync(join(root, f)));
  if (clash.length && !values.force) throw new BootchainError('INIT_EXISTS', `${clash.map((f) => join(root, f)).join(', ')} already exist${clash.length === 1 ? 's' : ''}`, 'keep yours (nothing was written), or pass --force to overwrite them');
  for (const [f, text] of INIT_FILES) {
    await mkdir(dirname(join(root, f)), { recursive: true });
    await writeFile(join(root, f), text);
    io.out(`wrote ${f}`);
  }
  const gi = join(root, '.gitignore');
  const have = existsSync(gi) ? readFileSync(gi, 'utf8').split('\n').map((l) => l.trim()) : [];
  const add = IGNORE.filter((l) => !have.includes(l));
  if (add.length) {
    await appendFile(gi, `${have.length && have.at(-1) !== '' ? '\n' : ''}# bootchain: run artifacts and built images\n${add.join('\n')}\n`);
    io.out(`added ${add.join(', ')} to .gitignore`);
  }
  io.out(`\nnext:\n  npx bootchain doctor     # what this machine has, and the fix for each gap\n  npx bootchain test       # boots ${relative(root, join(root, 'boot-tests'))}/*.ts (building images/example needs root: extlinux --install)`);
  return 0;
}
