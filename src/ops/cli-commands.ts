import { z } from 'zod'
import { displayText } from '../http/display-text.js'
import { ROLES } from '../auth/user-store.js'

/** The operator commands: each one's flags (zod, with messages that name the flag) and help. */
export const COMMANDS = {
  'create-tenant': {
    usage: 'create-tenant --name NAME [--allow-duplicate]',
    help: 'Creates an organisation and prints its slug. Refuses a name another organisation already has (any case) unless --allow-duplicate.',
    flags: z.object({
      name: displayText(
        100,
        {
          short: 'must be 2 to 100 characters',
          long: 'must be 2 to 100 characters',
          chars: 'must not contain control or direction-changing characters (such as U+202E)',
        },
        2,
      ),
      'allow-duplicate': z.boolean().optional(),
    }),
  },
  'list-tenants': {
    usage: 'list-tenants',
    help: 'Lists every organisation: slug, name, users, connections (tab-separated, oldest first).',
    flags: z.object({}),
  },
  'add-user': {
    usage: 'add-user --tenant SLUG --email E --password P --role member|support|admin',
    help: 'Adds a user with a password to an organisation.',
    flags: z.object({
      tenant: z.string().min(1, 'must not be empty'),
      email: z.email({ message: 'must be an email address' }),
      password: z
        .string()
        .min(10, 'must be at least 10 characters')
        .max(200, 'must be at most 200 characters'),
      role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
    }),
  },
  'list-users': {
    usage: 'list-users --tenant SLUG',
    help: "Lists an organisation's users: email, role, created (tab-separated).",
    flags: z.object({ tenant: z.string().min(1, 'must not be empty') }),
  },
  'seed-demo': {
    usage: 'seed-demo --tenant SLUG --accounts N',
    help: 'Sandbox only: adds N demo users with connections.',
    flags: z.object({
      tenant: z.string().min(1, 'must not be empty'),
      accounts: z.coerce.number({ message: 'must be a number' }).int().min(1).max(100_000),
    }),
  },
  'reencrypt-tokens': {
    usage: 'reencrypt-tokens [--tenant SLUG]',
    help:
      "Re-wraps every organisation's data key under TOKEN_ENCRYPTION_KEY (old keys in TOKEN_ENCRYPTION_OLD_KEYS); tokens and secrets stay sealed with their data keys. " +
      'With --tenant, gives that organisation a new data key and re-encrypts its tokens and secrets with it (the old key is dropped by the next run, two minutes on).',
    flags: z.object({ tenant: z.string().min(1, 'must not be empty').optional() }),
  },
  'delete-tenant': {
    usage: 'delete-tenant --tenant SLUG',
    help:
      'Deletes an organisation for good: ends its sessions, revokes every grant at its provider, destroys its data key, ' +
      'then removes every Redis key of it (and its jobs); recorded in the operator log. Run it again if it was interrupted.',
    flags: z.object({ tenant: z.string().min(1, 'must not be empty') }),
  },
  'verify-audit': {
    usage: 'verify-audit --tenant SLUG',
    help:
      "Checks the organisation's audit chain (each entry holds the SHA-256 of the one before): prints `ok <n> entries`, " +
      'or names the first entry that does not match and exits 1.',
    flags: z.object({ tenant: z.string().min(1, 'must not be empty') }),
  },
} as const

export type CommandName = keyof typeof COMMANDS

export const USAGE = [
  'usage: npm run admin -- <command> [flags]     (npm run admin -- <command> --help for one command)',
  ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
].join('\n')

export function commandHelp(name: CommandName): string {
  const c = COMMANDS[name]
  return `usage: npm run admin -- ${c.usage}\n\n${c.help}`
}

/** Zod's issues as lines that name the flag: `--name is required`, `--role: must be one of …`. */
export function flagErrors(error: z.ZodError, given: Record<string, unknown>): string[] {
  return error.issues.map((i) => {
    const flag = `--${i.path.join('.')}`
    return given[String(i.path[0])] === undefined ? `${flag} is required` : `${flag}: ${i.message}`
  })
}
