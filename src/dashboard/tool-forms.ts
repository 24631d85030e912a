import { z } from 'zod'
import { checkForm } from '../http/validate.js'
import { toE164 } from '../http/phone-number.js'
import { LOOKUP_KINDS, type LookupKind, type VoiceMessage } from '../providers/types.js'

/**
 * The forms of the grant's tools (number lookup, delivery report, voice message, caller
 * ID), each read with zod into what the provider is asked, or into one message a person
 * can act on. Numbers become E.164 here (http/phone-number.ts), never at the provider.
 */
export type Parsed<T> = { ok: true; data: T } | { ok: false; message: string }

const firstError = (errors: Record<string, string>) => Object.values(errors).join(' ')

const LookupForm = z.object({
  number: z.string().trim().max(40, 'That is too long for a phone number.'),
  kind: z.enum(LOOKUP_KINDS, { message: 'Choose what to look up.' }),
})

export function parseLookup(body: unknown): Parsed<{ kind: LookupKind; number: string }> {
  const form = checkForm(LookupForm, body)
  if (!form.ok) return { ok: false, message: firstError(form.errors) }
  const number = toE164(form.data.number, 'Enter the phone number to look up.')
  if (!number.ok) return number
  return { ok: true, data: { kind: form.data.kind, number: number.number } }
}

const MESSAGE_ID = /^[A-Za-z0-9_.-]{1,64}$/
const StatusForm = z.object({
  id: z
    .string()
    .trim()
    .min(1, 'Enter the id of a message you sent.')
    .max(700, 'Ask for up to 10 messages at once.')
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine((ids) => ids.length <= 10, 'Ask for up to 10 messages at once.')
    .refine(
      (ids) => ids.every((id) => MESSAGE_ID.test(id)),
      'A message id has letters and digits only, as shown after sending; separate several with commas.',
    ),
})

export function parseStatus(body: unknown): Parsed<string[]> {
  const form = checkForm(StatusForm, body)
  return form.ok
    ? { ok: true, data: [...new Set(form.data.id)] }
    : { ok: false, message: firstError(form.errors) }
}

export const MAX_VOICE_TEXT = 1000

const VoiceForm = z.object({
  to: z.string().trim().max(40, 'That is too long for a phone number.'),
  text: z
    .string()
    .trim()
    .min(1, 'Enter the text to be read out.')
    .max(MAX_VOICE_TEXT, `Keep the text to ${MAX_VOICE_TEXT} characters or fewer.`),
  from: z.string().trim().max(40, 'That is too long for a phone number.').optional(),
})

export function parseVoice(body: unknown): Parsed<VoiceMessage> {
  const form = checkForm(VoiceForm, body)
  if (!form.ok) return { ok: false, message: firstError(form.errors) }
  const to = toE164(form.data.to)
  if (!to.ok) return to
  let from: string | undefined
  if (form.data.from) {
    const caller = toE164(form.data.from)
    if (!caller.ok) return { ok: false, message: `From: ${caller.message}` }
    from = caller.number
  }
  return { ok: true, data: { to: to.number, text: form.data.text, from } }
}

const CallerIdForm = z.object({ number: z.string().trim().max(40, 'That is too long for a phone number.') })

export function parseCallerId(body: unknown): Parsed<string> {
  const form = checkForm(CallerIdForm, body)
  if (!form.ok) return { ok: false, message: firstError(form.errors) }
  const number = toE164(form.data.number, 'Enter the phone number to use as caller ID.')
  return number.ok ? { ok: true, data: number.number } : number
}
