import type { FailureInfo, StageResult, Verdict } from '../stages/ladder.ts';
import type { LedgerEntry } from '../events.ts';
import type { LintFinding } from '../lint/types.ts';
import type { DnsQueryEntry } from '../network/dns-stub.ts';
import type { ChainInfo } from '../image/types.ts';

/** The documented `--json` report (README "JSON report"). Keep the top-level keys stable. */
export interface BootReport {
  verdict: Verdict;
  stages: Array<{ id: string; status: StageResult['status']; atMs: number | null; guestMs: number | null; evidence: string[] }>;
  failure: (Pick<FailureInfo, 'stage' | 'message' | 'hint' | 'seenAtMs'> & { code: string }) | null;
  /** When the verdict was reached, ms since the machine started (wallMs adds shutdown and artifacts). */
  verdictAtMs: number | null;
  ledger: LedgerEntry[];
  /** Every DNS question the guest asked in its private network: name, type, answer (null = NXDOMAIN/no record). */
  dns?: DnsQueryEntry[];
  /** The boot chain detected from the image (MBR code, scheme, loader) and the ladder that judged it. */
  chain?: ChainInfo;
  artifacts: string;
  image: string;
  scenario: string | null;
  endedBy: string;
  wallMs: number;
  notes: string[];
  /** Static findings of `bootchain lint`, which runs before every boot. */
  lint: LintFinding[];
}

export function toBootReport(x: {
  verdict: Verdict;
  stages: StageResult[];
  failure: FailureInfo | null;
  ledger: LedgerEntry[];
  dns?: DnsQueryEntry[];
  chain?: ChainInfo;
  artifactsDir: string;
  image: string;
  scenario: string | null;
  endedBy: string;
  wallMs: number;
  verdictAtMs?: number | null;
  notes: string[];
  lint: LintFinding[];
}): BootReport {
  return {
    verdict: x.verdict,
    stages: x.stages.map((s) => ({ id: s.id, status: s.status, atMs: s.atMs, guestMs: s.guestMs, evidence: s.evidence })),
    failure: x.failure ? { stage: x.failure.stage, code: x.failure.code, message: x.failure.message, hint: x.failure.hint, ...(x.failure.seenAtMs !== undefined ? { seenAtMs: x.failure.seenAtMs } : {}) } : null,
    verdictAtMs: x.verdictAtMs ?? null,
    ledger: x.ledger,
    dns: x.dns ?? [],
    ...(x.chain ? { chain: x.chain } : {}),
    artifacts: x.artifactsDir,
    image: x.image,
    scenario: x.scenario,
    endedBy: x.endedBy,
    wallMs: x.wallMs,
    notes: x.notes,
    lint: x.lint,
  };
}
