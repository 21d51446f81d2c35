/** The stylesheet of the web pages, served from memory (no build step): small, tablet first. */
export const APP_CSS = `
:root{--text:#1f2933;--muted:#52606d;--rule:#cbd2d9;--panel:#f5f7fa;--accent:#1f6f8b;--accent-dark:#17536a;--error:#b3261e;--ok:#1e6b3a;--focus:#0b3d91}
*{box-sizing:border-box}
body{margin:0;color:var(--text);background:#fff;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
a{color:var(--accent-dark)}
/* The focus ring contrasts 3:1 or more with every background it sits on (WCAG 1.4.11). */
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--rule);background:var(--panel)}
.brand{font-weight:700;color:var(--accent-dark);text-decoration:none;font-size:1.15rem}
.top nav ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}
.top nav a[aria-current=page]{font-weight:700}
.signout{margin-left:auto;display:flex;gap:.5rem;align-items:center}
.who{color:var(--muted)}
main{max-width:60rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
label,legend{font-weight:600}
input[type=text],input[type=email],input[type=password],input[type=date],input[type=number],select,textarea{display:block;width:100%;max-width:36rem;font:inherit;padding:.55rem .6rem;border:1px solid #7b8794;border-radius:4px;background:#fff;color:var(--text)}
textarea{min-height:5.5rem;max-width:100%}
.field{margin:0 0 1rem}
.hint{color:var(--muted);font-size:.92rem;margin:.15rem 0 .35rem}
.error{color:var(--error);font-weight:600;margin:.25rem 0}
[aria-invalid=true]{border-color:var(--error);border-width:2px}
fieldset{border:1px solid var(--rule);border-radius:6px;margin:0 0 1.25rem;padding:.75rem 1rem}
.choices{display:grid;gap:.5rem}
.choice{display:flex;gap:.6rem;align-items:flex-start;padding:.6rem;border:1px solid var(--rule);border-radius:6px}
.choice input{margin-top:.1rem;width:1.4rem;height:1.4rem;flex:none}
.choice:has(input:checked){border-color:var(--accent);background:#eef6f9}
.choice .label{font-weight:600}
.choice .descriptor{display:block;font-weight:400;color:var(--text)}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:4px;border:2px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:var(--accent-dark)}
button.link{background:none;border:none;color:var(--accent-dark);text-decoration:underline;padding:0;font-weight:400}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.5rem 0}
.notice{padding:.75rem 1rem;border-radius:6px;margin:0 0 1rem;border-left:4px solid var(--accent);background:var(--panel)}
.notice p{margin:0}
.notice ul{margin:.35rem 0 0;padding-left:1.25rem}
.notice.error{border-color:var(--error);background:#fdecea}
.notice.success{border-color:var(--ok);background:#e7f4ec}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--rule);vertical-align:top}
thead th{color:var(--muted);font-size:.9rem}
tbody th{font-weight:600;min-width:8rem}
tbody th .muted{font-weight:400}
td .button{white-space:nowrap}
.num{text-align:right}
.muted{color:var(--muted)}
.mail-text{white-space:pre-wrap;overflow-wrap:anywhere}
.mail-html{width:100%;min-height:28rem;border:1px solid var(--muted)}
.nowrap{white-space:nowrap}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
ul.plain{list-style:none;margin:0;padding:0}
caption{text-align:left;padding:.25rem 0}
/* Positioned, so hidden text in a wide table stays inside the box that scrolls, not the page. */
.table-wrap{overflow-x:auto;position:relative}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.summary dt{font-weight:600}
.qr{display:block;width:14rem;height:14rem;border:1px solid var(--rule);margin:.5rem 0}
.secret,.codes{font-family:ui-monospace,"DejaVu Sans Mono",monospace;letter-spacing:.05em}
.codes{columns:2;max-width:24rem;padding-left:1.5rem}
@media (max-width:40rem){body{font-size:16px}.signout{margin-left:0}main{padding:.75rem}}
`

