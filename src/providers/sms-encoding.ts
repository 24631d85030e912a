/**
 * How an SMS text is encoded and into how many parts it is split (3GPP TS 23.038 and
 * 23.040): GSM-7 fits 160 septets in one part and 153 per part once concatenated (the
 * header takes the rest), UCS-2 fits 70 and 67 UTF-16 units. The characters of the GSM
 * extension table take two septets. public/app.js counts the same way for the live hint;
 * this module decides what is sent.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM_EXTENDED = '^{}\\[~]|€\f'

export type SmsEncodingName = 'gsm' | 'ucs2'

export interface SmsSplit {
  encoding: SmsEncodingName
  /** Septets (GSM-7) or UTF-16 units (UCS-2). */
  length: number
  parts: number
}

function gsmSeptets(text: string): number | null {
  let septets = 0
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) septets += 1
    else if (GSM_EXTENDED.includes(ch)) septets += 2
    else return null
  }
  return septets
}

/** The encoding a text needs and its number of parts. */
export function splitSms(text: string): SmsSplit {
  const septets = gsmSeptets(text)
  if (septets !== null) return { encoding: 'gsm', length: septets, parts: partsOf(septets, 160, 153) }
  return { encoding: 'ucs2', length: text.length, parts: partsOf(text.length, 70, 67) }
}

function partsOf(length: number, single: number, multi: number): number {
  return length <= single ? 1 : Math.ceil(length / multi)
}

/** How people call the encodings. */
export const ENCODING_NAMES: Record<SmsEncodingName, string> = { gsm: 'GSM-7', ucs2: 'Unicode (UCS-2)' }
