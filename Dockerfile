# Switchboard container image: `docker build -t switchboard .` (or `docker compose up --build`).
# Two stages: TypeScript is compiled with the dev dependencies, and the image that runs
# holds only the production dependencies, dist/, views/, locales/ and public/. No secret is baked
# in: SESSION_SECRET, TOKEN_ENCRYPTION_KEY and provider credentials come from the
# environment at run time (see docs/operations.md).

# --- build: install everything, compile src/ to dist/src/ -------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- run: production dependencies and the compiled app only ------------------------------
FROM node:20-bookworm-slim AS run
ENV NODE_ENV=production
# A container listens on all its interfaces (outside the image the default is 127.0.0.1 in development).
ENV HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
# argon2 ships prebuilt binaries for linux x64/arm64 (glibc), so no compiler is needed here.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY public ./public
COPY locales ./locales
COPY bin ./bin
# Files stay owned by root (read-only for the app); the process runs unprivileged. The one
# place it writes is /app/data: generated development secrets (DEV_SECRETS_FILE; compose keeps
# this folder on a named volume, which starts out owned by `node` as here).
RUN mkdir -p /app/data && chown node:node /app/data && chmod 700 /app/data
ENV DEV_SECRETS_FILE=/app/data/dev-secrets.json
# glibc's heap, bounded: each argon2id hash (sign-in, sign-up) takes a 19 MiB block on one of
# libuv's threads, and by default glibc then raises its mmap threshold and keeps such blocks in
# per-thread arenas for good (the app grew by 150 MiB over 1,000 sign-ups; with these, by 6 MiB).
# A fixed threshold returns every large block to the system when freed; two arenas are plenty.
# See docs/BENCHMARKS.md, bench 6.
ENV MALLOC_ARENA_MAX=2
ENV MALLOC_MMAP_THRESHOLD_=131072
USER node
EXPOSE 3000
# Node 20 has fetch built in, so the slim image needs no curl. Follows PORT if overridden.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# main.ts drains connections and releases refresh locks on SIGTERM, then exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
