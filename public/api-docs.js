// Starts Swagger UI on /api/docs (its bundle is served by this app, no CDN; the strict CSP
// allows no inline script, so it is started from this file).
const root = document.getElementById('swagger-ui')
if (root && typeof window.SwaggerUIBundle === 'function') {
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    // The page's own anchors (#problem-…) stay ours: no hash routing, no remote validator badge.
    deepLinking: false,
    validatorUrl: null,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    // The page's own heading already shows the title, version and description.
    plugins: [() => ({ wrapComponents: { InfoContainer: () => () => null } })],
  })
}
