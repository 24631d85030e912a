import type { TFunction } from 'i18next'
import { z } from 'zod'
import { translator } from '../i18n/catalogue.js'
import { checkForm } from '../http/validate.js'
import { phoneField } from './phone-field.js'
import { LOOKUP_KINDS, type LookupKind, type VoiceMessage } from '../providers/types.js'

/**
 * The forms of the grant's tools (number lookup, delivery report, voice message, caller
 * ID), each read with zod into what the provider is asked, or into one message a person
 * can act on. Numbers become E.164 here (phone-field.ts), never at the provider.
 */
export type Parsed<T> = { ok: true; data: T } | { ok: false; message: string }

const firstError = (errors: Record<string, string>) => Object.values(errors).join(' ')
const ENGLISH = translator('en')

const LookupForm = z.object({
  number: z.string().trim().max(40, 'dashboard:sms.toLong'),
  kind: z.enum(LOOKUP_KINDS, { message: 'dashboard:tools.v.kind' }),
})

export function parseLookup(body: unknown, t = ENGLISH): Parsed<{ kind: LookupKind; number: string }> {
  const form = checkForm(LookupForm, body, t)
  if (!form.ok) return { ok: false, message: firstError(form.errors) }
  const number = phoneField(form.data.number, { t, whenEmpty: t('dashboard:tools.v.lookupEmpty') })
  if (!number.ok) return number
  return { ok: true, data: { kind: form.data.kind, number: number.number } }
}

const MESSAGE_ID = /^[A-Za-z0-9_.-]{1,64}$/
const StatusForm = z.object({
  id: z
    .string()
    .trim()
    .min(1, 'dashboard:tools.v.idMissing')
    .max(700, 'dashboard:tools.v.idMany')
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine((ids) => ids.length <= 10, 'dashboard:tools.v.idMany')
    .refine((ids) => ids.every((id) => MESSAGE_ID.test(id)), 'dashboard:tools.v.idInvalid'),
})

export function parseStatus(body: unknown, t = ENGLISH): Parsed<string[]> {
  const form = checkForm(StatusForm, body, t)
  return form.ok
    ? { ok: true, data: [...new Set(form.data.id)] }
    : { ok: false, message: firstError(form.errors) }
}

export const MAX_VOICE_TEXT = 1000

const VoiceForm = z.object({
  to: z.string().trim().max(40, 'dashboard:sms.toLong'),
  text: z
    .string()
    .trim()
    .min(1, 'dashboard:tools.v.voiceMissing')
    .max(MAX_VOICE_TEXT, 'dashboard:tools.v.voiceLong'),
  from: z.string().trim().max(40, 'dashboard:sms.toLong').optional(),
})

export function parseVoice(body: unknown, t = ENGLISH): Parsed<VoiceMessage> {
  const form = checkForm(VoiceForm, body, t)
  if (!form.ok) return { ok: false, message: firstError(form.errors) }
  const to = phoneField(form.data.to, { t })
  if (!to.ok) return to
  let from: string | undefined
  if (form.data.from) {
    const caller = phoneField(form.data.from, { t })
    if (!caller.ok) return { ok: false, message: t('dashboard:tools.v.from', { message: caller.message }) }
    from = caller.number
  }
  return { ok: true, data: { to: to.number, text: form.data.text, from } }
}

const CallerIdForm = z.object({ number: z.string().trim().max(40, 'dashboard:sms.toLong') })

export function parseCallerId(body: unknown, t: TFunction = ENGLISH): Parsed<string> {
  const form = checkForm(CallerIdForm, body, t)
  if (!form.ok) return { ok: false, message: firstError(form.errors) }
  const number = phoneField(form.data.number, { t, whenEmpty: t('dashboard:tools.v.callerEmpty') })
  return number.ok ? { ok: true, data: number.number } : number
}
