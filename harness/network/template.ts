export interface TemplateContext {
  /** Stub base URL as the guest sees it, without trailing slash. */
  stub: string;
  path: string;
  marker: string;
  query: Record<string, string>;
}

/**
 * Substitutes ${stub}, ${path}, ${marker} and ${query.NAME} (empty when absent). Every other
 * ${…} stays as written: iPXE scripts use the same syntax for their own variables (${serial}).
 */
export function renderTemplate(tpl: string, ctx: TemplateContext): string {
  return tpl.replace(/\$\{([A-Za-z_][\w.:-]*)\}/g, (whole, key: string) => {
    if (key === 'stub') return ctx.stub;
    if (key === 'path') return ctx.path;
    if (key === 'marker') return ctx.marker;
    if (key.startsWith('query.')) return ctx.query[key.slice('query.'.length)] ?? '';
    return whole;
  });
}
