import { resolve } from 'node:path';
import { execa } from 'execa';
import { openPrivateNetwork } from '../network/private-network.ts';
import { startHttpStub } from '../network/http-stub.ts';
import type { BootReport } from '../report/json-report.ts';
import { median, ms, ratio, table, timed } from './stats.ts';

/** `bootchain boot --json` of the default image as a whole process, with the given network. */
async function boot(image: string, network: 'private' | 'user'): Promise<number> {
  const t0 = performance.now();
  const r = await execa('node', ['bin/bootchain.js', 'boot', image, '--json', '--network', network], { reject: false });
  const took = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`bench: bootchain boot --network ${network} failed (exit ${r.exitCode}): ${r.stderr.slice(-400)}`);
  const rep = JSON.parse(r.stdout) as BootReport;
  if (rep.verdict !== 'pass') throw new Error(`bench: boot --network ${network} did not pass`);
  return took;
}

/**
 * The price of a private network per boot: setting it up and tearing it down (namespace, holder, DNS and
 * HTTP stubs) against starting the one stub user networking needs, and whole boots with each, interleaved.
 */
export async function benchNetwork(log: (s: string) => void, runs = 3): Promise<void> {
  const image = resolve('dist/hypersolid-cloud.img');
  const joinable: number[] = [];
  const serving: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < Math.max(5, runs * 3); i++) {
    const t0 = performance.now();
    const net = await openPrivateNetwork({ defaultRoutes: [], hosts: [{ name: 'ipxe1.example.org', serve: { routes: [] } }], startedAt: Date.now(), marker: 'm' });
    joinable.push(performance.now() - t0);
    await net.ready;
    serving.push(performance.now() - t0);
    await net.close();
    plain.push((await timed(async () => (await startHttpStub({ routes: [], startedAt: Date.now() })).close())).ms);
  }
  const priv: number[] = [];
  const user: number[] = [];
  for (let i = 0; i < runs; i++) {
    user.push(await boot(image, 'user'));
    priv.push(await boot(image, 'private'));
  }
  log(`## private network per boot — ${serving.length} set-ups, ${runs} boots each (interleaved)`);
  log(
    table(
      ['what', 'median', 'vs baseline'],
      [
        ['HTTP stub on 127.0.0.1 (user networking) — baseline', ms(median(plain)), '1.00×'],
        ['private network: namespace ready for QEMU to join (on the boot\'s critical path)', ms(median(joinable)), `+${ms(median(joinable) - median(plain))}`],
        ['private network: + holder, DNS and 2 HTTP stubs serving (overlaps QEMU\'s start, paused)', ms(median(serving)), `+${ms(median(serving) - median(plain))}`],
        ['bootchain boot --network user — baseline', ms(median(user)), '1.00×'],
        ['bootchain boot (private network, the default)', ms(median(priv)), `${ratio(median(priv), median(user))}, +${ms(median(priv) - median(user))}`],
      ],
    ),
  );
  log('');
}
