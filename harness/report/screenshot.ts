import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A wedged QMP must not hold up the failure path. */
export const SCREENDUMP_TIMEOUT_MS = 5_000;

/** The file name a label's screenshot gets: `screen-<label>.png`, label reduced to [\w.-]. */
export function screenshotFileName(label: string): string {
  const safe = label.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'screen';
  return `screen-${safe}.png`;
}

/**
 * Saves the guest's VGA screen as `dir/screen-<label>.png`. Never throws: the report must still be
 * written when QEMU is gone or QMP fails, so any failure returns null and (if given) adds a note.
 * Returns the file's basename, for `renderHtmlReport`'s screenshots.
 */
export async function captureScreenshot(
  machine: { screendump(path: string): Promise<void> },
  dir: string,
  label: string,
  notes?: string[],
): Promise<string | null> {
  const name = screenshotFileName(label);
  const file = join(dir, name);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${SCREENDUMP_TIMEOUT_MS} ms`)), SCREENDUMP_TIMEOUT_MS);
    });
    await Promise.race([machine.screendump(file), timeout]);
    await checkPng(file);
    return name;
  } catch (e) {
    notes?.push(`screenshot "${label}" not taken: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    await rm(file, { force: true }).catch(() => undefined);
    return null;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function checkPng(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    if (bytesRead < 8 || !head.equals(PNG_MAGIC)) throw new Error(`${file} is not a PNG (QEMU wrote ${bytesRead} bytes)`);
  } finally {
    await fh.close();
  }
}
