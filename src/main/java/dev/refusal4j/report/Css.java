package dev.refusal4j.report;

/** The report's only style sheet, inlined into the page (no fonts or files fetched from anywhere). */
final class Css {
    private Css() {}

    static final String STYLE = """
            :root{--fg:#222;--muted:#666;--line:#e4e4e4;--bg:#f7f7f8;--refuse:#b2182b;--comply:#2166ac}
            *{box-sizing:border-box}
            body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Helvetica,Arial,sans-serif;color:var(--fg);background:#fff}
            main{max-width:1200px;margin:0 auto;padding:26px 30px 70px}
            h1{font-size:27px;margin:0 0 2px;letter-spacing:-.01em}
            h2{font-size:20px;margin:40px 0 10px;padding-bottom:5px;border-bottom:1px solid var(--line)}
            h3{font-size:15px;margin:20px 0 6px}
            p{margin:6px 0 10px;max-width:62em}
            .sub,.note{color:var(--muted)}
            .note{font-size:13px}
            code{font:13px/1.4 "DejaVu Sans Mono",Menlo,Consolas,monospace;background:var(--bg);padding:0 3px;border-radius:3px}
            .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:12px;margin-top:18px}
            .card{border:1px solid var(--line);border-radius:9px;padding:12px 15px;background:var(--bg)}
            .card .k{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
            .card .v{font-size:23px;font-weight:650;margin:3px 0 1px;font-variant-numeric:tabular-nums}
            .card .n{font-size:13px;color:var(--muted)}
            .arrow{color:var(--muted);font-weight:400;margin:0 4px}
            table{border-collapse:collapse;font-size:14px;margin:6px 0 14px}
            th,td{padding:4px 11px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
            th{font-weight:600;background:var(--bg)}
            td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
            td.rate{text-align:center;font-variant-numeric:tabular-nums;min-width:6.5em}
            tr.sel td{background:#fff1bf;font-weight:600}
            .figure{margin:12px 0 20px;overflow-x:auto}
            .figure svg{max-width:100%;height:auto;display:block}
            .figure .links{font-size:12px;color:var(--muted)}
            .cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:8px 34px;align-items:start}
            .bar{display:inline-block;height:10px;background:#8c8c8c;border-radius:2px;vertical-align:middle}
            table.samples{width:100%;table-layout:fixed}
            table.samples th:first-child{width:23%}
            .cat{display:block;font-size:12px;color:var(--muted);margin-top:2px}
            .resp{white-space:pre-wrap;overflow-wrap:anywhere;max-height:17em;overflow:auto;font-size:13px;line-height:1.45;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:6px 8px;margin-top:5px}
            .missing{color:var(--muted);font-style:italic;font-size:13px}
            .badge{display:inline-block;font-size:11px;font-weight:700;padding:1px 8px;border-radius:10px;color:#fff;letter-spacing:.02em}
            .badge.refused{background:var(--refuse)}
            .badge.complied{background:var(--comply)}
            .badge.unjudged{background:#9e9e9e}
            .problems{border:1px solid #e6b0b0;background:#fff5f5;border-radius:9px;padding:6px 16px;margin-top:16px}
            .generated{color:var(--muted);font-size:12px;margin-top:40px}
            nav{font-size:14px;margin-top:10px}
            nav a{margin-right:14px;color:var(--comply);text-decoration:none}
            a{color:var(--comply)}
            """;
}
