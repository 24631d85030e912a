/**
 * One CSV cell: quoted, quotes doubled, and cells a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR) prefixed with `'` (OWASP CSV injection).
 */
export function csvCell(value: string | number | undefined): string {
  let s = value === undefined ? '' : String(value)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return `"${s.replace(/"/g, '""')}"`
}

export function csvLine(cells: Array<string | number | undefined>): string {
  return `${cells.map(csvCell).join(',')}\r\n`
}
