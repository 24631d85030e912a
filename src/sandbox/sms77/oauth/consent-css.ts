// Kept as a module rather than a .css file so it ships with `tsc` output unchanged.
export const CONSENT_CSS = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --brand: #00776f; --line: #dde3ea; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f3f6f9; }
.sandbox-banner { background: #fff4cc; border-bottom: 1px solid #f0d98c; padding: .5rem 1rem; font-size: .875rem; text-align: center; }
.sandbox-banner p { margin: 0; }
main { max-width: 34rem; margin: 2rem auto; padding: 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: .75rem; padding: 1.5rem; box-shadow: 0 1px 3px rgba(0,0,0,.05); }
.brand { font-weight: 700; color: var(--brand); letter-spacing: .02em; }
h1 { font-size: 1.35rem; margin: .25rem 0 1rem; }
.muted { color: var(--muted); font-size: .9rem; }
ul.scopes { list-style: none; padding: 0; margin: 0 0 1.25rem; border-top: 1px solid var(--line); }
ul.scopes li { padding: .5rem 0; border-bottom: 1px solid var(--line); }
ul.scopes code { font-weight: 600; background: #eef6f5; padding: .05rem .35rem; border-radius: .25rem; }
fieldset { border: 1px solid var(--line); border-radius: .5rem; margin: 0 0 1.25rem; padding: .75rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
label.account { display: flex; gap: .75rem; align-items: flex-start; padding: .4rem 0; cursor: pointer; }
label.account input { margin-top: .35rem; }
.actions { display: flex; gap: .75rem; justify-content: flex-end; }
button { font: inherit; padding: .55rem 1.4rem; border-radius: .5rem; border: 1px solid var(--line); background: #fff; cursor: pointer; }
button.allow { background: var(--brand); border-color: var(--brand); color: #fff; font-weight: 600; }
button:focus-visible { outline: 3px solid #7fd3cd; outline-offset: 2px; }
.error-code { font-family: ui-monospace, monospace; background: #fdecec; color: #a12020; padding: .1rem .4rem; border-radius: .25rem; }
`
