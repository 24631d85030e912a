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
    // Its highlighting colours miss WCAG AA contrast on the dark code background.
    syntaxHighlight: { activated: false },
    // The page's own heading already shows the title, version and description.
    plugins: [() => ({ wrapComponents: { InfoContainer: () => () => null } })],
  })
}

// Swagger UI leaves some controls unnamed and code samples unreachable by keyboard: name
// them (words from the page, rendered from the catalogue) and make them focusable.
if (root) {
  const label = (select) => {
    if (select.id === 'servers') return root.dataset.labelServers
    return select.closest('tr[data-param-name]')?.getAttribute('data-param-name') ?? ''
  }
  const mend = () => {
    for (const select of root.querySelectorAll('select:not([aria-label])'))
      if (label(select)) select.setAttribute('aria-label', label(select))
    for (const code of root.querySelectorAll('.highlight-code > pre:not([tabindex])')) code.tabIndex = 0
  }
  new MutationObserver(mend).observe(root, { childList: true, subtree: true })
}
