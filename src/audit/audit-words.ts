import { AUDIT_ACTIONS } from './audit-log.js'

export { AUDIT_ACTIONS }

const WORDED = new Set<string>(AUDIT_ACTIONS)

/** The translation key of an entry's sentence; an action this version does not know reads "Other action". */
export function auditSentenceKey(action: string): string {
  return WORDED.has(action) ? `admin:auditSentence.${action}` : 'admin:auditSentence.other'
}
