import { parseArgs } from 'node:util';
import { rm } from 'node:fs/promises';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { resolve, basename } from 'node:path';
import { BootchainError } from '../errors.ts';
import { STAGE_IDS, type StageId, type StageResult } from '../stages/ladder.ts';
import { defaultChainRoutes, serveDirRoutes } from '../network/index.ts';
import { prepareBootImage, assertImageFile } from '../scenario/prepare-image.ts';
import { runBootSession } from '../scenario/boot-session.ts';
import { newArtifactsDir } from '../report/artifacts.ts';
import { formatStageTable, formatStageRow } from '../stages/index.ts';
import { withInterrupt } from './interrupt.ts';
import { formatLintFindings } from '../lint/index.ts';
import { BASELINE_FLAGS, applyBaseline, preflightBaseline } from './baseline-options.ts';
import type { CliIo } from './io.ts';

export async function runBoot(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      serve: { type: 'string' },
      bootfile: { type: 'string' },
      expect: { type: 'string', default: 'chain' },
      json: { type: 'boolean', default: false },
      serial: { type: 'string', default: 'BOOTCHAIN-0001' },
      accel: { type: 'string', default: 'tcg' },
      realtime: { type: 'boolean', default: false },
      'icount-shift': { type: 'string' },
      timeout: { type: 'string', default: '120' },
      artifacts: { type: 'string' },
      ...BASELINE_FLAGS,
    },
  });
  const input = positionals[0];
  if (!input || positionals.length > 1) throw new BootchainError('USAGE', 'boot takes exactly one IMAGE (a raw or .img.gz disk image)', 'e.g. npx bootchain boot dist/hypersolid-cloud.img --json');
  const expect = values.expect as StageId;
  if (!(STAGE_IDS as readonly string[]).includes(expect)) throw new BootchainError('USAGE', `--expect "${expect}" is not a stage`, `stages: ${STAGE_IDS.join(', ')}`);
  if (values.accel !== 'tcg' && values.accel !== 'kvm') throw new BootchainError('USAGE', `--accel must be tcg or kvm, got "${values.accel}"`, 'TCG is the default and the one that works on every host');
  const shiftArg = values['icount-shift'];
  const shift = shiftArg === undefined ? undefined : Number(shiftArg);
  if (shift !== undefined && (!Number.isInteger(shift) || shift < 0 || shift > 10)) throw new BootchainError('USAGE', `--icount-shift must be an integer 0..10, got "${shiftArg}"`, 'the default is 8; --realtime turns time warp off');
  if (shift !== undefined && values.realtime) throw new BootchainError('USAGE', '--icount-shift and --realtime exclude each other', 'pick one');
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) throw new BootchainError('USAGE', `--timeout must be a positive number of seconds, got "${values.timeout}"`, 'e.g. --timeout 60');
  const marker = `BOOTCHAIN-MARKER-${Date.now().toString(36)}`;
  let routes = defaultChainRoutes(marker);
  let bootfile = values.bootfile ?? '/boot.ipxe';
  if (values.serve) {
    const dir = resolve(values.serve);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BootchainError('SERVE_DIR_MISSING', `--serve ${values.serve} is not a directory`, 'pass the folder holding the chained iPXE scripts');
    routes = serveDirRoutes(dir);
    if (!values.bootfile) {
      const files = readdirSync(dir);
      const first = files.includes('boot.ipxe') ? 'boot.ipxe' : files.find((f) => f.endsWith('.ipxe'));
      if (first) bootfile = `/${first}`;
    }
  }
  // Bad input must leave nothing behind: check the image before any artifacts folder exists.
  assertImageFile(input);
  await preflightBaseline(values);
  const artifactsDir = values.artifacts ? resolve(values.artifacts) : await newArtifactsDir(undefined, basename(input));
  return withInterrupt(io, async (signal) => {
    const prepared = await prepareBootImage(input, { workDir: artifactsDir }).catch(async (e: unknown) => {
      // Bad input leaves nothing behind: drop the folder made for this run.
      if (!values.artifacts) await rm(artifactsDir, { recursive: true, force: true });
      throw e;
    });
    if (!values.json) {
      io.err(`booting ${input} (expect: ${expect})${prepared.map ? '' : ' — no disk map, console evidence only'}`);
      for (const n of prepared.notes) io.err(`  note: ${n}`);
    }
    const r = await runBootSession({
      image: prepared.image,
      diskMap: prepared.map,
      // Time warp (-icount) is the default under TCG; --realtime runs the guest on the host's clock.
      machine: { accel: values.accel as 'tcg' | 'kvm', smbiosSerial: values.serial!, ...(values.realtime ? { icountShift: null } : shift !== undefined ? { icountShift: shift } : {}) },
      routes,
      bootfile,
      finalStage: expect,
      overallTimeoutMs: timeoutS * 1000,
      scriptSource: prepared.scriptSource,
      promptWaitMs: prepared.promptWaitMs,
      artifactsDir,
      marker,
      meta: { image: resolve(input), scenario: null, notes: prepared.notes, lint: prepared.lint },
      ...(values.json ? {} : { onStage: (st: Readonly<StageResult>) => io.err(`  ${formatStageRow(st)}  ${st.evidence[0] ?? ''}`) }),
      signal,
    });
    const report = r.report;
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(formatStageTable(r.stages, r.failure));
      const lint = await prepared.lint;
      if (lint.findings.length) io.out(formatLintFindings({ image: input, findings: lint.findings, ms: lint.ms }));
      io.out(`verdict: ${r.verdict.toUpperCase()} (${r.endedBy}) in ${(r.wallMs / 1000).toFixed(2)} s — artifacts: ${artifactsDir}`);
    }
    const withinBaseline = r.verdict === 'pass' ? await applyBaseline(values, report, r.icountShift, io) : true;
    return r.verdict === 'pass' ? (withinBaseline ? 0 : 1) : r.verdict === 'fail' ? 1 : 2;
  });
}
