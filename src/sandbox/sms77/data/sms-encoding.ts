// GSM 03.38: the basic set costs one septet a character, the extension table two.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM_EXTENDED = '^{}\\[~]|€\f'

export interface SmsEncoding {
  encoding: 'gsm' | 'ucs2'
  parts: number
}

function gsmLength(text: string): number | null {
  let septets = 0
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) septets += 1
    else if (GSM_EXTENDED.includes(ch)) septets += 2
    else return null
  }
  return septets
}

/** Encoding and number of parts, the way handsets concatenate: 160/153 GSM, 70/67 UCS-2. */
export function smsEncoding(text: string, forceUnicode: boolean): SmsEncoding {
  const gsm = forceUnicode ? null : gsmLength(text)
  if (gsm !== null) return { encoding: 'gsm', parts: gsm <= 160 ? 1 : Math.ceil(gsm / 153) }
  const units = text.length // UTF-16 code units, as UCS-2 counts them
  return { encoding: 'ucs2', parts: units <= 70 ? 1 : Math.ceil(units / 67) }
}

/** The gateway's limit for one message's text (code 401 beyond it). */
export const MAX_SMS_TEXT = 1520

/** Alphanumeric senders up to 11 characters, numeric ones up to 16 digits (code 201 otherwise). */
export function isValidSender(from: string): boolean {
  if (/^\+?\d{1,16}$/.test(from)) return true
  return /^[A-Za-z0-9 .\-&]{1,11}$/.test(from) && /[A-Za-z]/.test(from)
}
