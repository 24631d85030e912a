/**
 * Import rules for src/ (issue 14), checked by `npm run check:imports` and by
 * test/architecture.test.ts. Each rule says which room may not reach which, and why.
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'main-only-starts',
      comment:
        'src/main.ts is the entry point and nothing else: it calls into boot/, which wires the rest ' +
        '(issue 28: src/ keeps only main.ts at its top).',
      severity: 'error',
      from: { path: '^src/main\\.ts$' },
      to: { path: '^src/', pathNot: '^src/boot/' },
    },
    {
      name: 'nobody-imports-boot',
      comment:
        'boot/ is the composition root: it imports every room, and no room imports it back (only ' +
        'src/main.ts starts it). A room that needs something from boot/ is missing a dependency ' +
        'it should be handed.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main\\.ts$|boot/)' },
      to: { path: '^src/boot/' },
    },
    {
      name: 'foundations-stand-alone',
      comment:
        'The rooms everyone stands on know no feature: errors/, logging/, phone/ and config/ ' +
        '(with the Redis topology it parses), audit/ and api-keys/ (on redis/ only).',
      severity: 'error',
      from: { path: '^src/(errors|logging|phone|config|audit|api-keys)/' },
      to: { path: '^src/', pathNot: '^src/($1/|redis/)' },
    },
    {
      name: 'accounts-below-connections',
      comment:
        'Our users and tenants sit under connections: auth/ and tenants/ never import connections/ ' +
        '(key names live in redis/keys.ts, the cipher in crypto/).',
      severity: 'error',
      from: { path: '^src/(auth|tenants)/' },
      to: { path: '^src/connections/' },
    },
    {
      name: 'providers-behind-registry',
      comment:
        'Only providers/ and the composition root (src/boot/services.ts) know sms77/ or nexmo/; ' +
        'everyone else goes through the Provider interface and the registry.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(providers/|boot/services\\.ts$)' },
      to: { path: '^src/providers/(sms77|nexmo)/' },
    },
    {
      name: 'providers-apart',
      comment: 'One provider never reaches into the other; shared code lives in providers/ itself.',
      severity: 'error',
      from: { path: '^src/providers/(sms77|nexmo)/' },
      to: { path: '^src/providers/(sms77|nexmo)/', pathNot: '^src/providers/$1/' },
    },
    {
      name: 'sandbox-only-from-main',
      comment:
        'The sandbox is never loaded in production unless asked for: only src/boot/start.ts builds ' +
        'it (src/boot/services.ts may name its type).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(sandbox/|boot/start\\.ts$|boot/services\\.ts$)' },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'sandbox-type-only-from-services',
      comment: 'src/boot/services.ts may name the Sandbox type, never load the sandbox.',
      severity: 'error',
      from: { path: '^src/boot/services\\.ts$' },
      to: { path: '^src/sandbox/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sandbox-stays-apart',
      comment:
        'The sandbox stands in for the providers and knows nothing of the product: it may read the ' +
        'configuration (src/config/), nothing else of src/.',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: '^src/', pathNot: '^src/(sandbox|config)/' },
    },
    {
      name: 'balances-below-features',
      comment:
        'balances/ (history and low-balance alerts) is a room the features (support, dashboard, the ' +
        'keep-alive through boot/) import; it stands only on redis/, providers/types.ts and ' +
        'the connection types, and is handed tenants, users and the webhook queue as functions.',
      severity: 'error',
      from: { path: '^src/balances/' },
      to: { path: '^src/', pathNot: '^src/(balances/|redis/|providers/types\\.ts$|connections/)' },
    },
    {
      name: 'balances-see-connection-types-only',
      comment:
        'balances/ names what a connection is (ConnectionRef) and spells its member the one way ' +
        '(connections/member.ts), but never loads the rest of connections/.',
      severity: 'error',
      from: { path: '^src/balances/' },
      to: {
        path: '^src/connections/',
        pathNot: '^src/connections/member\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'api-through-lifecycle',
      comment:
        'The tenant API (src/api/) is a feature room: it uses connections only through the ' +
        'connection lifecycle, its kept read and the member format (connections/member.ts; reads come through a ' +
        'directory wired in src/boot/api-deps.ts), never a provider implementation, the sandbox, ' +
        'or another feature room.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: {
        path: '^src/(connections|sandbox|admin|dashboard|auth)/|^src/providers/(sms77|nexmo)/',
        pathNot: '^src/connections/(lifecycle|member|kept-read)\\.ts$',
      },
    },
    {
      name: 'mcp-through-api',
      comment:
        "The MCP server (src/mcp/) is the tenant API for agents: it calls the API room's own " +
        'operations (one send path, one authentication), never connections, providers or another feature.',
      severity: 'error',
      from: { path: '^src/mcp/' },
      to: {
        path: '^src/(connections|sandbox|admin|dashboard|auth|support|notifications)/|^src/providers/',
        pathNot: '^src/connections/(lifecycle|kept-read)\\.ts$',
      },
    },
    {
      name: 'opentelemetry-only-when-tracing',
      comment:
        'Without OTEL_EXPORTER_OTLP_ENDPOINT nothing of OpenTelemetry is loaded: only src/tracing/start.ts ' +
        'loads it, with dynamic imports once tracing starts; everyone else names its types at most.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/tracing/start\\.ts$' },
      to: { path: '@opentelemetry/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'opentelemetry-loaded-on-demand',
      comment: 'src/tracing/start.ts imports OpenTelemetry only dynamically (when tracing starts).',
      severity: 'error',
      from: { path: '^src/tracing/start\\.ts$' },
      to: { path: '@opentelemetry/', dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
    {
      name: 'no-folder-cycles',
      comment:
        'Rooms depend in one direction (auth and tenants under connections, connections under ' +
        'dashboard, support and admin); a cycle between folders means a piece sits in the wrong room.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'resolvable',
      comment: 'Every import resolves; an unresolved one would also slip past every rule above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment:
        'Modules import in one direction; a cycle means two files are one job or one is in the wrong room.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
}
