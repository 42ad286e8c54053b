import type { Socket as DgramSocket, RemoteInfo } from 'node:dgram';
import dnsPacket from 'dns-packet';

/** One DNS question the guest asked (through slirp's DNS proxy), and what it was told. */
export interface DnsQueryEntry {
  atMs: number;
  name: string;
  type: string;
  /** The address answered, or null (NXDOMAIN / no record of that type). */
  answer: string | null;
  rcode: 'NOERROR' | 'NXDOMAIN';
}

export interface DnsStub {
  readonly queries: DnsQueryEntry[];
  onQuery: ((q: DnsQueryEntry) => void) | undefined;
  startedAt: number;
  close(): void;
}

const NXDOMAIN = 3;

/**
 * Answers A queries for the scenario's host names with the address where the guest reaches that host,
 * NXDOMAIN for every other name (and an empty answer for other types of a served name). Every query
 * goes to the ledger. Packets are parsed and built by `dns-packet`.
 */
export function startDnsStub(socket: DgramSocket, names: ReadonlyMap<string, string>, startedAt: number): DnsStub {
  const stub: DnsStub = {
    queries: [],
    onQuery: undefined,
    startedAt,
    close: () => {
      try {
        socket.close();
      } catch {
        /* already closed */
      }
    },
  };
  socket.on('message', (buf: Buffer, from: RemoteInfo) => {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(buf);
    } catch {
      return; // not DNS: nothing to answer
    }
    const question = q.questions?.[0];
    if (!question || q.type !== 'query') return;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const ip = names.get(name) ?? null;
    const isA = question.type === 'A';
    const entry: DnsQueryEntry = { atMs: Date.now() - stub.startedAt, name, type: question.type, answer: ip && isA ? ip : null, rcode: ip ? 'NOERROR' : 'NXDOMAIN' };
    stub.queries.push(entry);
    stub.onQuery?.(entry);
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | (ip ? 0 : NXDOMAIN),
      questions: q.questions ?? [],
      answers: ip && isA ? [{ type: 'A', class: 'IN', name: question.name, ttl: 60, data: ip }] : [],
    });
    socket.send(reply, from.port, from.address);
  });
  return stub;
}
