// Runs inside a boot's private network + mount namespace (started by sandbox.ts through unshare).
// Opens the listeners the guest will reach — TCP :80 on each served host address, UDP 127.0.0.1:53 for
// DNS — and hands them to the harness over Node's IPC channel, so the harness (outside the namespace)
// serves them. Then it stays, holding the namespace, until the harness goes away (IPC disconnect).
'use strict';
const net = require('node:net');
const dgram = require('node:dgram');

// spec: { http: [{ ip, port }], dns: { ip, port }, owner: the harness's temp dir for this network (in argv so
// the process can be told apart from other boots' holders) }.
const spec = JSON.parse(process.argv[2] || '{}');

function listenTcp(ip, port) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: ip, port, exclusive: true, backlog: 64 }, () => resolve(s));
  });
}

function bindUdp(ip, port) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: ip, port, exclusive: true }, () => resolve(s));
  });
}

const send = (msg, handle) => new Promise((resolve, reject) => process.send(msg, handle, (e) => (e ? reject(e) : resolve())));

async function main() {
  for (const l of spec.http || []) {
    const s = await listenTcp(l.ip, l.port);
    await send({ kind: 'http', ip: l.ip, port: l.port }, s);
    s.close();
  }
  if (spec.dns) {
    const u = await bindUdp(spec.dns.ip, spec.dns.port);
    await send({ kind: 'dns', ip: spec.dns.ip, port: spec.dns.port }, u);
    u.close();
  }
  await send({ kind: 'ready', pid: process.pid });
}

// The harness asks, when a boot did not pass, whether its listeners still take connections (a destroyed
// socket looks to the guest exactly like a server that is down).
function probe(ip, port) {
  return new Promise((resolve) => {
    const c = net.connect({ host: ip, port });
    const done = (error) => {
      clearTimeout(timer);
      c.destroy();
      resolve({ ip, port, error });
    };
    const timer = setTimeout(() => done('no answer within 1 s'), 1000);
    c.once('connect', () => done(null));
    c.once('error', (e) => done(e.code || String(e.message)));
  });
}
process.on('message', (m) => {
  if (!m || m.kind !== 'probe') return;
  Promise.all((spec.http || []).map((l) => probe(l.ip, l.port))).then((results) => process.send({ kind: 'probe-result', id: m.id, results }));
});

process.on('disconnect', () => process.exit(0));
main().catch((e) => {
  try {
    process.send({ kind: 'error', message: String(e && e.message ? e.message : e) });
  } finally {
    setTimeout(() => process.exit(1), 50);
  }
});
