import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import t from 'tap';
import { startDnsStub } from '../../harness/network/dns-stub.ts';

type Reply = Omit<dnsPacket.Packet, "answers"> & { rcode?: string; answers?: Array<{ type: string; data?: unknown }> };

async function ask(port: number, name: string, type: 'A' | 'AAAA'): Promise<Reply> {
  const c = dgram.createSocket('udp4');
  try {
    const reply = new Promise<Buffer>((r) => c.once('message', r));
    c.send(dnsPacket.encode({ type: 'query', id: 4711, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }), port, '127.0.0.1');
    return dnsPacket.decode(await reply) as Reply;
  } finally {
    c.close();
  }
}

t.test('answers served names with their address, NXDOMAIN for every other name, and logs every query', async (t) => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const stub = startDnsStub(sock, new Map([['ipxe1.example.org', '198.18.0.10']]), Date.now());
  t.teardown(() => stub.close());
  const port = sock.address().port;

  const a = await ask(port, 'IPXE1.example.org', 'A');
  t.equal(a.id, 4711);
  t.equal(a.rcode, 'NOERROR');
  t.same(a.answers?.map((x) => [x.type, x.data]), [['A', '198.18.0.10']], 'served name (any case) → its address');

  const nx = await ask(port, 'ipxe2.example.org', 'A');
  t.equal(nx.rcode, 'NXDOMAIN');
  t.same(nx.answers, []);

  const aaaa = await ask(port, 'ipxe1.example.org', 'AAAA');
  t.equal(aaaa.rcode, 'NOERROR', 'a served name has no AAAA record, but it exists');
  t.same(aaaa.answers, []);

  t.same(stub.queries.map((q) => [q.name, q.type, q.answer, q.rcode]), [
    ['ipxe1.example.org', 'A', '198.18.0.10', 'NOERROR'],
    ['ipxe2.example.org', 'A', null, 'NXDOMAIN'],
    ['ipxe1.example.org', 'AAAA', null, 'NOERROR'],
  ]);
  // Garbage is ignored, not answered and not logged.
  sock.emit('message', Buffer.from('not dns'), { address: '127.0.0.1', port: 9, family: 'IPv4', size: 7 });
  t.equal(stub.queries.length, 3);
});
