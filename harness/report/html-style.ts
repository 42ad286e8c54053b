/** The report's only stylesheet, inlined: the file must open anywhere, offline, with no scripts. */
export const REPORT_CSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--grey:#8c959f;--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--code:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);margin:0 0 16px}.meta span{margin-right:16px}
.verdict{display:inline-block;padding:1px 10px;border-radius:12px;color:#fff;font-weight:600;text-transform:uppercase;font-size:13px}
.verdict.pass{background:var(--ok)}.verdict.fail{background:var(--bad)}.verdict.error{background:#9a6700}
.failure{border:2px solid var(--bad);background:#ffebe9;border-radius:6px;padding:12px 16px;margin:12px 0}
.failure h2{border:0;margin:0 0 6px;color:var(--bad)}.failure dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
.failure dt{font-weight:600}.failure dd{margin:0;white-space:pre-wrap}
.ladder{width:100%;border-collapse:collapse}.ladder td{padding:3px 6px;vertical-align:top;border-bottom:1px solid #eaeef2}
.ladder .id{font-family:ui-monospace,monospace;white-space:nowrap}.ladder .time{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}
.ladder .status{white-space:nowrap;font-weight:600}.status.passed{color:var(--ok)}.status.failed{color:var(--bad)}.status.not-reached{color:var(--grey)}.status.implied{color:#9a6700}.status.skipped{color:var(--grey);font-style:italic}
.track{position:relative;height:16px;min-width:240px;background:var(--code);border-radius:3px;margin-top:2px}
.bar{position:absolute;top:2px;bottom:2px;min-width:3px;border-radius:2px}
.bar.passed{background:var(--ok)}.bar.failed{background:var(--bad)}.bar.implied{background:repeating-linear-gradient(45deg,#d4a72c 0 4px,#fff8c5 4px 8px)}.bar.skipped{background:transparent}.bar.not-reached{background:repeating-linear-gradient(45deg,#d0d7de 0 4px,#eaeef2 4px 8px)}
.ladder details{font-size:12px;color:var(--muted)}.ladder details ul{margin:2px 0;padding-left:18px}
.axis{display:flex;justify-content:space-between;color:var(--muted);font-size:12px}
pre.console{background:#0d1117;color:#e6edf3;padding:10px;border-radius:6px;overflow-x:auto;font:12px/1.4 ui-monospace,monospace;margin:0}
pre.console .t{color:#7d8590;user-select:none}pre.console .partial{color:#d29922}
pre.console .mark{display:block;margin:2px 0;padding:1px 6px;border-left:3px solid #3fb950;background:#12261e;color:#3fb950;font-weight:600}
pre.console .mark.failed{border-color:#f85149;background:#2d1214;color:#f85149}
table.grid{border-collapse:collapse;width:100%;font-size:13px}table.grid th,table.grid td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
table.grid th{background:var(--code)}table.grid td.num{text-align:right;font-variant-numeric:tabular-nums}
.mono{font-family:ui-monospace,monospace;word-break:break-all}.empty{color:var(--muted);font-style:italic}
.sev-error{color:var(--bad);font-weight:600}.sev-warning{color:#9a6700;font-weight:600}
.shots{display:flex;flex-wrap:wrap;gap:16px}.shots figure{margin:0}.shots img{max-width:640px;width:100%;border:1px solid var(--line);image-rendering:pixelated}
.shots figcaption{color:var(--muted);font-size:12px}
`;
