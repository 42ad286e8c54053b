import t from 'tap';
import { ConsoleReader, joinWrapped, splitShuffle } from '../../harness/console/index.ts';
import type { ConsoleLineEvent } from '../../harness/events.ts';
import { loadRecording } from '../fixtures/replay.ts';

function read(chunks: string[], flushAt?: number): { lines: ConsoleLineEvent[]; reader: ConsoleReader } {
  const lines: ConsoleLineEvent[] = [];
  const reader = new ConsoleReader((e) => lines.push(e));
  chunks.forEach((c, i) => reader.push(c, i * 10));
  if (flushAt !== undefined) reader.flushPartial(flushAt);
  return { lines, reader };
}

const texts = (ls: ConsoleLineEvent[]) => ls.filter((l) => !l.partial).map((l) => l.text);

t.test('strips ANSI/VT codes, including ESC c and sequences split across chunks', async (t) => {
  const { lines } = read(['\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r\n', '\x1b[0;1miPXE\x1b', '[0m -- Open\x1b[0', ';36m x\r\n']);
  t.same(texts(lines), ['SeaBIOS (version 1.16.2)', 'iPXE -- Open x']);
});

t.test('CR without LF restarts the line; the line keeps what it finally shows', async (t) => {
  const { lines } = read(['progress  10%\rprogress  55%\r', 'progress 100%\r\n', 'abcdef\rXY\r\n']);
  t.same(texts(lines), ['progress 100%', 'XYcdef']);
});

t.test('CR and LF split between chunks still make one line break', async (t) => {
  const { lines } = read(['one\r', '\ntwo\r', '\n']);
  t.same(texts(lines), ['one', 'two']);
});

t.test('80-column wrap: raw lines are kept, joinWrapped rebuilds the iPXE error URL', async (t) => {
  const first = 'http://10.0.2.2:8731/' + 'a'.repeat(80 - 21 - 22) + ' x (http://ipxe.org/2d0c6';
  t.ok(first.length > 80 && first.length < 160, 'one wrap');
  const row = first.slice(0, 80);
  const { lines } = read([`${row}\r\n${first.slice(80)}13b)\r\n`]);
  t.equal(texts(lines).length, 2);
  t.match(joinWrapped(texts(lines)), [/\(http:\/\/ipxe\.org\/2d0c613b\)$/]);
});

t.test('SYSLINUX SERIAL echo is de-duplicated, including the spill into the next line', async (t) => {
  const { lines } = read(['SYSLINUX 6.04 EDD\r\nbooting\r\n', 'Loading ipxe.lkrn...Loading ipxe.lkrn...  ook\r\nk\r\n', 'Loading ipxe.conf..Loading ipxe.conf....ok\x1b[07;22Hok\r\n\r\n', 'iPXE initialising devices...ok\r\n']);
  t.same(texts(lines), ['SYSLINUX 6.04 EDD', 'booting', 'Loading ipxe.lkrn... ok', 'Loading ipxe.conf...ok', 'iPXE initialising devices...ok']);
});

const ORDINARY = ['aabbccdd', 'boot boot', 'MARK-1 MARK-1', 'echo boot boot MARK-1 MARK-1 aabbccdd', 'abab', 'Loading x...Loading x...', 'llll oooo', 'Configuring (net0 52:54:00:12:34:56)...... ok'];

t.test('ordinary lines are kept byte for byte: no SYSLINUX, no de-duplication', async (t) => {
  const { lines } = read(ORDINARY.map((l) => `${l}\r\n`));
  t.same(texts(lines), ORDINARY);
  // The greedy splitter itself does see two copies in 'abab': only the window keeps it away from such lines.
  t.same(splitShuffle('abab', ''), { leader: 'ab\n', residual: 'ab\n'.slice(2), matched: 2 });
});

t.test('after the SERIAL echo window closes (the kernel prints on its own), repeated text survives', async (t) => {
  const echoed = ['SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al\r\n', 'Loading ipxe.lkrn...Loading ipxe.lkrn...  ook\r\nk\r\n', 'iPXE initialising devices...ok\r\n'];
  const { lines } = read([...echoed, ...ORDINARY.map((l) => `${l}\r\n`)]);
  t.same(texts(lines), ['SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al', 'Loading ipxe.lkrn... ok', 'iPXE initialising devices...ok', ...ORDINARY]);
});

t.test('without SERIAL the window closes once the kernel prints: repeated text after it survives', async (t) => {
  const pre = ['SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al', 'Loading ipxe.lkrn... ok', 'iPXE initialising devices...ok'];
  const { lines } = read([...pre, ...ORDINARY].map((l) => `${l}\r\n`));
  t.same(texts(lines), [...pre, ...ORDINARY]);
});

t.test('a config known to have no SERIAL line turns de-duplication off entirely', async (t) => {
  const lines: string[] = [];
  const r = new ConsoleReader((e) => !e.partial && lines.push(e.text), { serialEcho: false });
  r.push('SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al\r\nLoading x.lkrn...Loading x.lkrn...  ook\r\n', 1);
  t.same(lines.at(-1), 'Loading x.lkrn...Loading x.lkrn...  ook');
});

t.test('every recorded boot without SERIAL reads byte for byte like its raw lines', async (t) => {
  for (const name of ['good', 'autoboot', 'missing', 'zerovbr', 'h404', 'refused']) {
    const r = new ConsoleReader(() => {});
    const naive = new ConsoleReader(() => {}, { serialEcho: false });
    for (const e of loadRecording(name)) if (e.kind === 'serial') { r.push(e.data, e.atMs); naive.push(e.data, e.atMs); }
    t.equal(r.text(), naive.text(), name);
  }
});

t.test('a line carries when its text began to be printed (textAtMs), not only when its line break came', async (t) => {
  const { lines } = read(['Booting from ', 'Hard Disk..', '.', '\r\n']);
  t.match(lines.at(-1), { text: 'Booting from Hard Disk...', atMs: 30, textAtMs: 0 });
});

t.test('recorded SERIAL 0 115200 boot reads like the normal one', async (t) => {
  const clean = (name: string) => {
    const r = new ConsoleReader(() => {});
    for (const e of loadRecording(name)) if (e.kind === 'serial') r.push(e.data, e.atMs);
    return r.text();
  };
  const dup = clean('dup');
  t.notMatch(dup, /Loading ipxe\.lkrn\.\.\.Loading/);
  t.match(dup, /^Loading ipxe\.lkrn\.\.\. ok$/m);
  t.match(dup, /^Loading ipxe\.conf\.\.\.ok$/m);
  t.match(dup, /^http:\/\/10\.0\.2\.2:8731\/x\.ipxe\.\.\. ok$/m);
  t.match(clean('good'), /^iPXE 1\.0\.0\+git-\S+ -- Open Source Network Boot Firmware -- http$/m);
});

t.test('partial prompt: flushPartial emits "boot: " once, end() keeps the held-back text', async (t) => {
  const { lines, reader } = read(['No such file\r\nboot: '], 500);
  reader.flushPartial(900);
  t.same(lines.filter((l) => l.partial).map((l) => l.text), ['boot: ']);
  reader.push('x', 1000);
  reader.flushPartial(1400);
  reader.push('\r\nRebooting', 1500);
  reader.end(2000);
  t.same(lines.filter((l) => l.partial).map((l) => [l.text, l.atMs]), [['boot: ', 500], ['boot: x', 1400], ['Rebooting', 2000]]);
  t.equal(texts(lines).at(-1), 'boot: x');
  t.equal(reader.text(), 'No such file\nboot: x\nRebooting');
  t.equal(reader.raw().toString('latin1'), 'No such file\r\nboot: x\r\nRebooting');
});

t.test('text erased by backspaces is still seen once (iPXE Ctrl-B prompt)', async (t) => {
  const { lines } = read(['Press Ctrl-B...', '\b \b'.repeat(15), 'net0: up\r\n']);
  t.same(lines.map((l) => [l.text, l.partial ?? false]), [['Press Ctrl-B...', true], ['net0: up', false]]);
});

t.test("sercon's repaint (CR then ESC[row;colH) keeps the text before the column", async (t) => {
  const lines: string[] = [];
  const r = new ConsoleReader((e) => !e.partial && lines.push(e.text));
  // Seen on a loaded host: SeaBIOS printed "B", then repainted the rest of the row from column 2.
  for (const ch of 'Loading ipxe.lkrn... ok\r\nB\r\x1b[07;02Hooting kernel failed: Invalid argument\r\n') r.push(ch, 1);
  t.same(lines, ['Loading ipxe.lkrn... ok', 'Booting kernel failed: Invalid argument']);
  const more: string[] = [];
  const r2 = new ConsoleReader((e) => !e.partial && more.push(e.text));
  r2.push('abcdef\r\x1b[1;4HXY\r\n', 1);
  r2.push('ghi\x1b[1;9Hjkl\r\n', 1);
  r2.push('booting LINUX frr\x1b[15;17Hom iPXE\r\n', 1);
  r2.push('SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al\r\n', 1);
  r2.push('Loading ipxe.conf..Loading ipxe.conf....ok\x1b[07;22Hok\r\n', 1);
  t.same(more.slice(0, 3), ['abcXYf', 'ghijkl', 'booting LINUX from iPXE'], 'after a CR, or one step back over a doubled char, a move is honoured; a jump ahead is not');
  t.equal(more[4], 'Loading ipxe.conf...ok', 'a far jump back (SERIAL echo: the serial row is longer than the VGA row) is ignored');
});

t.test("sercon's one-step-back re-sync in the middle of iPXE's erased progress note (seen on a loaded host)", async (t) => {
  const lines: string[] = [];
  const r = new ConsoleReader((e) => !e.partial && lines.push(e.text));
  // Bytes as captured: iPXE prints " [host]" while DNS is pending, erases it with \b, spaces, \b; sercon re-syncs
  // its cursor one column back (ESC[17;59H) while the row already holds text further right.
  const bs = '\b'.repeat(20);
  r.push(`http://ipxe1.example.org/myconfig.ipxe.... [ipxe1.example.org]${bs}${' '.repeat(20)}${bs}. [ipxe1.example.org]${bs}${' '.repeat(16)}\x1b[17;59H     ${bs}. [ipxe1.example.org]${bs}${' '.repeat(20)}${bs}...... ok\r\n`, 1);
  t.same(lines, ['http://ipxe1.example.org/myconfig.ipxe............ ok'], 'as a terminal shows it: no gap in the dots');
  r.push('booting iPXE from S\x1b[05;19H\x1b[05;20HYSLINUX\r\n', 2);
  t.equal(lines[1], 'booting iPXE from SYSLINUX', 'one back, then one forward again (within the row): both honoured');
});
