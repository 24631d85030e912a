/**
 * Drives a provider's consent page the way a browser would: GET the page, read its form
 * (hidden fields, the pre-checked account), and press the button whose label is given.
 */
export interface ConsentResult {
  /** Where the provider sent the browser back (the app's callback URL with its query). */
  location: string
  status: number
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)
  return m
    ? m[1]!
        .replace(/&amp;/g, '&')
        .replace(/&#34;|&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
    : undefined
}

export async function pressConsent(
  authorizeUrl: string,
  button: 'Allow' | 'Deny',
  choose?: Record<string, string>,
): Promise<ConsentResult> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' })
  const html = await page.text()
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html.slice(0, 200)}`)
  const form = /<form[^>]*method="post"[^>]*>[\s\S]*?<\/form>/i.exec(html)?.[0]
  if (!form) throw new Error('no POST form on the consent page')
  const fields = new URLSearchParams()
  for (const input of form.match(/<input[^>]*>/gi) ?? []) {
    const type = (attr(input, 'type') ?? 'text').toLowerCase()
    const name = attr(input, 'name')
    if (!name) continue
    if (type === 'hidden') fields.append(name, attr(input, 'value') ?? '')
    if ((type === 'radio' || type === 'checkbox') && /\schecked/i.test(input) && !choose?.[name])
      fields.append(name, attr(input, 'value') ?? 'on')
  }
  for (const [k, v] of Object.entries(choose ?? {})) fields.set(k, v)
  const buttonTag = (form.match(/<button[^>]*>[\s\S]*?<\/button>/gi) ?? []).find(
    (b) => b.replace(/<[^>]+>/g, '').trim() === button,
  )
  if (!buttonTag) throw new Error(`no ${button} button on the consent page`)
  const bName = attr(buttonTag, 'name')
  if (bName) fields.set(bName, attr(buttonTag, 'value') ?? '')
  const action = new URL(attr(form, 'action') ?? '', authorizeUrl).toString()
  const res = await fetch(action, { method: 'POST', body: fields, redirect: 'manual' })
  return { status: res.status, location: res.headers.get('location') ?? '' }
}

/** The path and query of an absolute URL, for replaying it against the app under supertest. */
export function pathOf(url: string): string {
  const u = new URL(url)
  return u.pathname + u.search
}
