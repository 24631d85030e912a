import { randomBytes } from 'node:crypto'
import { formatEur, parseEur, type DemoAccount } from './accounts.js'

/** The `POST /sms/json` parameters the sandbox looks at (N5 sms.yml NewMessage). */
export interface SmsParams {
  from?: string
  to?: string
  text?: string
  type?: string
  'client-ref'?: string
}

/** One entry of `messages`; every value is a string, as Nexmo sends them. */
export type SmsMessage = Record<string, string>

export interface SmsResponse {
  'message-count': string
  messages: SmsMessage[]
}

/** Per part, EUR; the price Nexmo's own examples show. */
export const PRICE_PER_PART = parseEur('0.03330000')
/** Longer texts are refused with status 12 rather than split into dozens of parts. */
export const MAX_TEXT_CHARS = 3200

// GSM 03.38 extension table: these characters take an escape septet plus their own.
const GSM_EXTENDED = '^{}\\[~]|€\f'

/**
 * Number of SMS parts: GSM-7 fits 160 septets in one part and 153 per part when
 * concatenated (the UDH takes the rest); UCS-2 fits 70 and 67 UTF-16 units. With
 * `type=text`, characters outside GSM-7 count one septet, as the gateway substitutes them.
 */
export function smsParts(text: string, type: 'text' | 'unicode'): number {
  const [single, multi, length] =
    type === 'unicode' ? [70, 67, text.length] : [160, 153, [...text].reduce((n, c) => n + septets(c), 0)]
  return length <= single ? 1 : Math.ceil(length / multi)
}

function septets(char: string): number {
  return GSM_EXTENDED.includes(char) ? 2 : 1
}

function rejection(status: string, errorText: string): SmsResponse {
  return { 'message-count': '1', messages: [{ status, 'error-text': errorText }] }
}

/** Alphanumeric senders: up to 11 letters/digits (spaces ignored, N5); numeric: up to 15 digits. */
function validSender(from: string): boolean {
  const compact = from.replace(/ /g, '')
  return /^\d{1,15}$/.test(compact) || /^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/.test(compact)
}

/** Checks the request the way the gateway's status codes (PROVIDERS.md §3) describe. */
function validate(p: SmsParams): SmsResponse | undefined {
  for (const name of ['from', 'to', 'text'] as const) {
    if (!p[name]) return rejection('2', `Missing ${name} param`)
  }
  if (!/^\d{7,15}$/.test(p.to ?? '')) return rejection('3', 'Invalid to param: 7-15 digits, E.164 without +')
  if (!validSender(p.from ?? '')) return rejection('15', 'Invalid sender address')
  if (p.type !== undefined && p.type !== 'text' && p.type !== 'unicode') {
    return rejection('3', `Invalid type param: the sandbox supports text and unicode, not ${p.type}`)
  }
  if ((p['client-ref'] ?? '').length > 40)
    return rejection('3', 'Invalid client-ref param: max 40 characters')
  if ([...(p.text ?? '')].length > MAX_TEXT_CHARS) return rejection('12', 'Message too long')
  return undefined
}

// MCC+MNC of a plausible network for a few country codes, so `network` looks real.
const NETWORKS: ReadonlyArray<[prefix: string, network: string]> = [
  ['44', '23410'],
  ['49', '26201'],
  ['33', '20801'],
  ['31', '20416'],
  ['1', '310260'],
]

function networkFor(to: string): string {
  return NETWORKS.find(([prefix]) => to.startsWith(prefix))?.[1] ?? '12345'
}

/**
 * Sends (pretends to) and charges the account per part. Business errors are answered
 * in the body with HTTP 200, exactly like Nexmo; the balance only changes on success.
 */
export function sendSms(account: DemoAccount, p: SmsParams): SmsResponse {
  const invalid = validate(p)
  if (invalid) return invalid
  const parts = smsParts(p.text ?? '', p.type === 'unicode' ? 'unicode' : 'text')
  if (account.balanceUnits < parts * PRICE_PER_PART) return rejection('9', 'Partner quota exceeded')
  const messages: SmsMessage[] = []
  for (let i = 0; i < parts; i++) {
    account.balanceUnits -= PRICE_PER_PART
    const message: SmsMessage = {
      to: p.to ?? '',
      'message-id': '0A' + randomBytes(7).toString('hex').toUpperCase(),
      status: '0',
      'remaining-balance': formatEur(account.balanceUnits),
      'message-price': formatEur(PRICE_PER_PART),
      network: networkFor(p.to ?? ''),
    }
    if (p['client-ref']) message['client-ref'] = p['client-ref']
    messages.push(message)
  }
  return { 'message-count': String(parts), messages }
}
