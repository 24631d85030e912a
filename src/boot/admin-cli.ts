import { adminCli } from '../ops/admin-cli.js'
import { deleteTenant } from './tenant-commands.js'

// `npm run admin -- <command>` (bin/admin.mjs): the operator CLI, with the commands that need
// the services wired here, as the server wires them.
await adminCli(process.argv.slice(2), { deleteTenant })
