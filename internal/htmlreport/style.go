package htmlreport

// css is the page's whole style sheet, inlined in a <style> element. It
// holds no '<' or '&', so the page stays well-formed XML, and no url(), so
// it loads nothing.
const css = `
:root{color-scheme:light}
*{box-sizing:border-box}
html{background:#f4f5f7}
body{margin:0;color:#1f2937;font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",system-ui,sans-serif;-webkit-font-smoothing:antialiased}
.wrap{max-width:1240px;margin:0 auto;padding:0 24px}
.page-head{background:#fff;border-bottom:1px solid #e3e6ea;padding:20px 0 0;margin-bottom:20px}
.title-row{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h1{font-size:22px;font-weight:600;margin:0;letter-spacing:-0.01em}
.subtitle{margin:4px 0 0;color:#6b7280}
.meta{display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 0;padding:0}
.meta div{background:#f8fafc;border:1px solid #e5e7eb;border-radius:6px;padding:3px 10px;display:flex;gap:6px;font-size:12.5px}
.meta dt{color:#6b7280}
.meta dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.toc{display:flex;gap:2px;margin-top:12px;overflow-x:auto}
.toc a{color:#4b5563;text-decoration:none;font-size:13px;padding:8px 10px;border-bottom:2px solid transparent;white-space:nowrap}
.toc a:hover{color:#1d4ed8;border-bottom-color:#1d4ed8}
main{display:block}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:8px;box-shadow:0 1px 2px rgba(16,24,40,.05);padding:14px 20px 12px;margin:0 0 20px;scroll-margin-top:12px}
.card-head{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap;margin-bottom:4px}
h2{font-size:15px;font-weight:600;margin:0}
.note{margin:0;color:#6b7280;font-size:13px}
.legend{list-style:none;display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;margin:4px 0 4px;padding:0;font-size:12.5px;color:#374151}
.legend li{display:flex;align-items:center;gap:6px}
.legend li.ev{color:#6b7280;font-size:12px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px}
.swatch.line{width:16px;height:3px;border-radius:2px}
.swatch.dash{width:16px;height:0;border-top:2px dashed;border-radius:0;background:none}
svg.chart{display:block;width:100%;height:auto;overflow:visible}
.chart text{font-family:inherit}
.chart .tick{font-size:11px;fill:#6b7280;font-variant-numeric:tabular-nums}
.chart .axis-label{font-size:12px;fill:#4b5563}
.chart .event-label{font-size:11px;font-weight:600}
.chart .no-data{font-size:14px;fill:#9ca3af}
.chart .marker:hover line{stroke-width:2.5}
.chart .lane-bg rect{fill:#f8fafc;fill-opacity:.6;stroke:#e5e7eb}
.chart .lane-guide{stroke:#d1d5db;stroke-dasharray:2 3}
.chart .lane-tick{font-size:10px;fill:#9ca3af}
.chart .lane-name{font-size:12.5px;font-weight:600;fill:#1f2937}
.chart .verdict-text{font-size:11px;font-weight:600}
.chart .weight-label{font-size:10.5px;fill:#374151;font-weight:600}
.chart .decision-n{font-size:10px;font-weight:700;fill:#fff}
.table-wrap{overflow-x:auto}
table.data{border-collapse:collapse;width:100%;font-size:13px}
table.data th{text-align:left;font-weight:600;color:#4b5563;background:#f8fafc;border-bottom:1px solid #e5e7eb;padding:7px 10px;white-space:nowrap}
table.data td{padding:5px 10px;border-bottom:1px solid #f0f1f3;vertical-align:middle;line-height:20px}
table.data tbody tr:hover{background:#f9fafb}
table.data .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data .fit{width:1%;white-space:nowrap}
td.detail{color:#4b5563}
.badge{display:inline-flex;align-items:center;gap:4px;padding:0 8px 0 6px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid;white-space:nowrap;line-height:18px}
.badge .icon{font-weight:700}
.badge.pass{color:#15803d;background:#dcfce7;border-color:#bbf7d0}
.badge.fail{color:#b91c1c;background:#fee2e2;border-color:#fecaca}
.badge.warn{color:#b45309;background:#fef3c7;border-color:#fde68a}
.badge.none{color:#475569;background:#f1f5f9;border-color:#e2e8f0}
.badge.big{font-size:13px;padding:2px 12px 2px 10px}
.kind{display:inline-block;font-size:11.5px;font-weight:600;border:1px solid;border-radius:4px;padding:0 6px;background:#fff}
h3.sub{font-size:13px;font-weight:600;color:#4b5563;margin:14px 0 4px}
.empty{color:#9ca3af;margin:4px 0}
footer{color:#9ca3af;font-size:12px;padding-bottom:24px}
`
