// Destructive forms carry data-confirm: ask before sending. Without script the form posts
// as it is; registered first, so a cancelled submit never shows the busy state below.
document.addEventListener('submit', (event) => {
  const form = event.target
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return
  if (!window.confirm(form.dataset.confirm)) event.preventDefault()
})

// Progress signal while a form waits on a provider: the pressed button says what is
// happening and cannot be pressed twice. Loaded as a module from 'self' (strict CSP).
document.addEventListener('submit', (event) => {
  const form = event.target
  if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return
  const button =
    event.submitter instanceof HTMLButtonElement ? event.submitter : form.querySelector('button[data-busy]')
  if (!button || !button.dataset.busy) return
  form.setAttribute('aria-busy', 'true')
  // Disable after the submit has been dispatched so the button's own value is still sent.
  setTimeout(() => {
    button.disabled = true
    button.textContent = button.dataset.busy
  }, 0)
})

// A page restored from the back/forward cache must not keep a busy button.
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return
  for (const form of document.querySelectorAll('form[aria-busy]')) form.removeAttribute('aria-busy')
  for (const button of document.querySelectorAll('button[disabled][data-busy]')) button.disabled = false
})

// Copy buttons (`data-copy="<input id>"`), e.g. a new API key: the field stays selectable
// by hand when the clipboard is not available.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null
  if (!(button instanceof HTMLButtonElement)) return
  const field = document.getElementById(button.dataset.copy ?? '')
  if (!(field instanceof HTMLInputElement)) return
  field.select()
  const done = () => {
    const label = button.textContent
    button.textContent = button.dataset.copied ?? 'Copied'
    setTimeout(() => (button.textContent = label), 2000)
  }
  if (navigator.clipboard) void navigator.clipboard.writeText(field.value).then(done, () => undefined)
})

// Send SMS: how many parts and which encoding the text needs, while typing. The server
// decides for real (src/providers/sms-encoding.ts counts the same way).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM_EXTENDED = '^{}\\[~]|€\f'

function smsSplit(text) {
  let septets = 0
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) septets += 1
    else if (GSM_EXTENDED.includes(ch)) septets += 2
    else {
      const units = text.length
      return { encoding: 'Unicode (UCS-2)', length: units, parts: units <= 70 ? 1 : Math.ceil(units / 67) }
    }
  }
  return { encoding: 'GSM-7', length: septets, parts: septets <= 160 ? 1 : Math.ceil(septets / 153) }
}

function showSmsCount(textarea) {
  const out = document.getElementById(textarea.dataset.smsCount)
  if (!out) return
  // The server trims the text before sending: count what will be sent.
  const text = textarea.value.trim()
  if (!text) return
  const s = smsSplit(text)
  // The page's language gives the wording (data-sms-one / -other / -chars / -units, with
  // {parts}, {encoding}, {length} and {unit} in it); English when it gives none.
  const d = textarea.dataset
  const template = s.parts === 1 ? d.smsOne : d.smsOther
  const unit = s.encoding === 'GSM-7' ? (d.smsChars ?? 'characters') : (d.smsUnits ?? 'units')
  const values = { parts: s.parts, encoding: s.encoding, length: s.length, unit }
  out.textContent = template
    ? template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''))
    : `${s.parts} ${s.parts === 1 ? 'part' : 'parts'}, ${s.encoding} (${s.length} ${unit})`
}

document.addEventListener('input', (event) => {
  if (event.target instanceof HTMLTextAreaElement && event.target.dataset.smsCount) showSmsCount(event.target)
})
for (const textarea of document.querySelectorAll('textarea[data-sms-count]')) showSmsCount(textarea)

// /account: with no time zone chosen yet, offer the one the browser reports (the server
// shows UTC until one is saved).
for (const select of document.querySelectorAll('select[data-browser-zone]')) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone
  if (zone && [...select.options].some((o) => o.value === zone)) select.value = zone
}
