/**
 * Escaping for the HTML report. Everything shown comes from untrusted places (the guest's console,
 * HTTP request lines, file names), so every text node and attribute goes through here.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// C0 controls (except tab/newline) and DEL are not allowed in HTML text: show them as Unicode control pictures.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return String.fromCharCode(code === 0x7f ? 0x2421 : 0x2400 + code);
}

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(CONTROL, visible)
    .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A relative URL for a file in the report's own folder; anything path-like is reduced to its last segment. */
export function fileHref(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  return escapeHtml(encodeURIComponent(base));
}

/** Tagged template that escapes every interpolated value unless it is already {@link SafeHtml}. */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(v: unknown): string {
  if (v instanceof SafeHtml) return v.html;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/** Seconds with two decimals, or an em dash when unknown. */
export function fmtSeconds(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—';
}
