import type { AuditAction } from './audit-log.js'

/**
 * Every action the audit log records, so each has a sentence for people in every language
 * (locales `admin:auditSentence.<action>`). Entries are stored, chained and exported by their
 * codes; only the page shows them as words.
 */
export const AUDIT_ACTIONS = [
  'support.view',
  'support.search',
  'support.refresh',
  'support.export',
  'support.connection_view',
  'support.connection_test',
  'support.reconnect_link_sent',
  'connection.reconnect_link_used',
  'admin.user_added',
  'admin.role_changed',
  'admin.user_removed',
  'admin.user_invited',
  'admin.invitation_cancelled',
  'admin.user_unlocked',
  'admin.credentials_changed',
  'admin.webhook_changed',
  'admin.webhook_removed',
  'admin.webhook_test_sent',
  'admin.webhook_retried',
  'admin.webhook_secret_rotated',
  'admin.webhook_resent',
  'admin.settings_changed',
  'admin.api_key_created',
  'admin.api_key_revoked',
  'admin.shared_disconnected',
  'admin.shared_access_granted',
  'admin.shared_access_removed',
  'admin.shared_limit_changed',
  'api.call',
  'message.sent',
  'signin.two_step_enabled',
  'signin.two_step_disabled',
  'signin.two_step_passed',
  'signin.two_step_failed',
  'signin.recovery_code_used',
  'signin.password_refused_sso',
  'signin.sso_settings_changed',
  'signin.sso_signed_in',
  'signin.sso_person_created',
  'signin.sso_refused',
  'signin.session_ended',
  'mcp.call',
] as const satisfies readonly AuditAction[]

// A new action without a sentence fails the typecheck here.
type Unworded = Exclude<AuditAction, (typeof AUDIT_ACTIONS)[number]>
const everyActionWorded: [Unworded] extends [never] ? true : Unworded = true
void everyActionWorded

const WORDED = new Set<string>(AUDIT_ACTIONS)

/** The translation key of an entry's sentence; an action this version does not know reads "Other action". */
export function auditSentenceKey(action: string): string {
  return WORDED.has(action) ? `admin:auditSentence.${action}` : 'admin:auditSentence.other'
}
