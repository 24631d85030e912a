import type { DemoAccount } from './demo-accounts.js'
import type { InboundEntry, Journals, OutboundEntry, VoiceEntry } from './journal-types.js'
import { mccmnc, parseNumber, smsPartPrice } from './numbers.js'
import { gatewayTimestamp, pick, seededRandom, toEuro } from './prng.js'

const RECIPIENTS: Record<string, readonly string[]> = {
  de: ['4917612345678', '4915112345678', '4916298765432', '4917798765432', '4917055512345'],
  gb: ['447700900123', '447911123456', '447400123456', '447812345678'],
}

const TEXTS: Record<string, readonly string[]> = {
  newsletter: ['Spring sale: 20% off everything until Sunday!', 'New in store this week - take a look.'],
  otp: ['Your verification code is 481 516.', 'Your login code is 230 742. It expires in 10 minutes.'],
  shipping: ['Your order #A-1043 has shipped.', 'Your parcel arrives today between 10:00 and 12:00.'],
  orders: ['Your order for 12 rolls is confirmed.', 'Bestellung eingegangen - danke!'],
  pickup: ['Your order is ready for pickup.', 'Ihre Bestellung liegt zur Abholung bereit.'],
  reminders: ['Reminder: your appointment is tomorrow at 09:30.', 'Please confirm your check-up on Friday.'],
}

const REPLIES = ['Thanks!', 'STOP', 'Can we move it to 11:00?', 'Yes, confirmed.', 'Who is this?']
const DLR_STATES = ['DELIVERED', 'DELIVERED', 'DELIVERED', 'DELIVERED', 'NOTDELIVERED', 'EXPIRED'] as const

/** Message ids of the seeded history are fixed per account (11 digits, like the gateway's). */
export function seededMessageId(account: DemoAccount, kind: number, index: number): string {
  return String(77_000_000_000 + account.userId * 1000 + kind * 100 + index)
}

function at(anchor: Date, rand: () => number, maxDaysBack: number): Date {
  const d = new Date(anchor)
  d.setUTCDate(d.getUTCDate() - 1 - Math.floor(rand() * maxDaysBack))
  d.setUTCHours(7 + Math.floor(rand() * 12), Math.floor(rand() * 60), Math.floor(rand() * 60), 0)
  return d
}

function outboundEntry(account: DemoAccount, rand: () => number, anchor: Date, i: number): OutboundEntry {
  const to = pick(rand, RECIPIENTS[account.homeCountry] ?? RECIPIENTS.de ?? [])
  const label = pick(rand, account.labels)
  const sent = at(anchor, rand, 29)
  const dlr = pick(rand, DLR_STATES)
  const latency = 1 + Math.floor(rand() * 40) / 10
  const number = parseNumber(to)
  return {
    id: seededMessageId(account, 1, i),
    from: account.sender,
    to,
    text: pick(rand, TEXTS[label] ?? ['Hello from the sandbox']),
    timestamp: gatewayTimestamp(sent),
    price: String(toEuro(smsPartPrice(number))),
    connection: 'http',
    dlr,
    dlr_timestamp: gatewayTimestamp(new Date(sent.getTime() + latency * 1000)),
    foreign_id: null,
    label,
    latency: latency.toFixed(1),
    mccmnc: mccmnc(number.country, number.network),
    type: 'direct',
  }
}

// The account's virtual inbox number, where inbound messages and replies arrive.
const inbox = (account: DemoAccount) => (account.homeCountry === 'gb' ? '447860012345' : '4915799912345')

function inboundEntry(account: DemoAccount, rand: () => number, anchor: Date, i: number): InboundEntry {
  return {
    id: seededMessageId(account, 2, i),
    from: pick(rand, RECIPIENTS[account.homeCountry] ?? RECIPIENTS.de ?? []),
    to: inbox(account),
    text: pick(rand, REPLIES),
    timestamp: gatewayTimestamp(at(anchor, rand, 29)),
    price: '0',
    reply_to_message_id: null,
  }
}

/** A recipient answering one of the account's messages a few minutes after it was sent. */
function replyEntry(
  account: DemoAccount,
  rand: () => number,
  original: OutboundEntry,
  i: number,
): InboundEntry {
  const sent = new Date(original.timestamp.replace(' ', 'T') + 'Z')
  return {
    id: seededMessageId(account, 3, i),
    from: original.to,
    to: inbox(account),
    text: pick(rand, REPLIES),
    timestamp: gatewayTimestamp(new Date(sent.getTime() + (2 + Math.floor(rand() * 55)) * 60_000)),
    price: '0',
    reply_to_message_id: original.id,
  }
}

function voiceEntry(account: DemoAccount, rand: () => number, anchor: Date, i: number): VoiceEntry {
  const answered = rand() > 0.25
  return {
    id: seededMessageId(account, 4, i),
    from: inbox(account),
    to: pick(rand, RECIPIENTS[account.homeCountry] ?? RECIPIENTS.de ?? []),
    text: 'Your verification code is 4 8 1 5 1 6.',
    timestamp: gatewayTimestamp(at(anchor, rand, 29)),
    price: answered ? '0.045' : '0',
    duration: answered ? String(8 + Math.floor(rand() * 40)) : '0',
    error: '',
    status: answered ? 'completed' : 'no-answer',
    xml: false,
  }
}

const byNewest = (a: { timestamp: string }, b: { timestamp: string }) =>
  b.timestamp.localeCompare(a.timestamp)

/** A month of history ending the day before `anchor`, identical for the same account and day. */
export function seedJournals(account: DemoAccount, anchor: Date): Journals {
  const rand = seededRandom(`journal:${account.userId}:${anchor.toISOString().slice(0, 10)}`)
  const outbound = Array.from({ length: 24 }, (_, i) => outboundEntry(account, rand, anchor, i))
  const inbound = Array.from({ length: 6 }, (_, i) => inboundEntry(account, rand, anchor, i))
  const replies = outbound.slice(0, 3).map((o, i) => replyEntry(account, rand, o, i))
  const voice = Array.from({ length: 5 }, (_, i) => voiceEntry(account, rand, anchor, i))
  return {
    outbound: outbound.sort(byNewest),
    inbound: inbound.sort(byNewest),
    replies: replies.sort(byNewest),
    voice: voice.sort(byNewest),
  }
}
