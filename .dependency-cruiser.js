/**
 * Import rules for src/ (issue 14), checked by `npm run check:imports` and by
 * test/architecture.test.ts. Each rule says which room may not reach which, and why.
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
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
        'Only providers/ and the composition root (src/services.ts) know sms77/ or nexmo/; everyone ' +
        'else goes through the Provider interface and the registry.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(providers/|services\\.ts$)' },
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
        'The sandbox is never loaded in production unless asked for: only src/main.ts builds it ' +
        '(src/services.ts may name its type).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(sandbox/|main\\.ts$|services\\.ts$)' },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'sandbox-type-only-from-services',
      comment: 'src/services.ts may name the Sandbox type, never load the sandbox.',
      severity: 'error',
      from: { path: '^src/services\\.ts$' },
      to: { path: '^src/sandbox/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sandbox-stays-apart',
      comment:
        'The sandbox stands in for the providers and knows nothing of the product: it may read the ' +
        'configuration (src/config.ts) and where views live (src/paths.ts), nothing else of src/.',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: '^src/', pathNot: '^src/(sandbox/|config\\.ts$|paths\\.ts$)' },
    },
    {
      name: 'balances-below-features',
      comment:
        'balances/ (history and low-balance alerts) is a room the features (support, dashboard, the ' +
        'keep-alive through services.ts) import; it stands only on redis/, providers/types.ts and ' +
        'the connection types, and is handed tenants, users and the webhook queue as functions.',
      severity: 'error',
      from: { path: '^src/balances/' },
      to: { path: '^src/', pathNot: '^src/(balances/|redis/|providers/types\\.ts$|connections/)' },
    },
    {
      name: 'balances-see-connection-types-only',
      comment: 'balances/ names what a connection is (ConnectionRef) but never loads connections/.',
      severity: 'error',
      from: { path: '^src/balances/' },
      to: { path: '^src/connections/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-through-lifecycle',
      comment:
        'The tenant API (src/api/) is a feature room: it uses connections only through the ' +
        'connection lifecycle (reads come through a directory wired in src/api-deps.ts), never a ' +
        'provider implementation, the sandbox, or another feature room.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: {
        path: '^src/(connections|sandbox|admin|dashboard|auth)/|^src/providers/(sms77|nexmo)/',
        pathNot: '^src/connections/lifecycle\\.ts$',
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
