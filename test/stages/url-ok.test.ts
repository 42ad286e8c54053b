import t from 'tap';
import { urlOkMatches } from '../../harness/stages/stage-evidence.ts';

t.test("iPXE's download line matches its URL whatever the number of progress dots", async (t) => {
  t.ok(urlOkMatches('http://10.0.2.2:42173/boot.ipxe... ok', '/boot.ipxe'));
  // Under time warp iPXE prints a dot per progress step.
  t.ok(urlOkMatches('http://10.0.2.2:22877/boot.ipxe.............. ok', '/boot.ipxe'));
  t.ok(urlOkMatches('http://10.0.2.2:1/myconfig.ipxe?serial=X...... ok', '/myconfig.ipxe'));
  t.ok(urlOkMatches('http://ipxe1.example.org/myconfig.ipxe..... ....... ok', '/myconfig.ipxe'), 'a gap where " [host]" was erased');
  t.notOk(urlOkMatches('http://10.0.2.2:1/other.ipxe... ok', '/boot.ipxe'));
  t.notOk(urlOkMatches('http://10.0.2.2:1/boot.ipxe... [10.0.2.2] ok', '/boot.ipxe'), 'text between the dots and "ok" is not progress');
  t.notOk(urlOkMatches('http://10.0.2.2:1/boot.ipxe... Connection reset (http://ipxe.org/0f0a6039)', '/boot.ipxe'));
});
