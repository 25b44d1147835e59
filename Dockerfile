# syntax=docker/dockerfile:1
# The Sotally application image: one image for the API (default command), the
# Temporal worker (`node dist/src/worker.js`) and the one-shot migration job
# (`npm run db:migrate`). docker-compose.yml shows all three.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install every dependency and compile TypeScript into dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# No telemetry or update checks from npm, Prisma or Scarf during the build.
# The two PRISMA_* variables point at an existing file so that @prisma/engines'
# postinstall skips downloading native engines: the app uses the Rust-free
# client with the pg driver adapter, and migrations use the WASM schema engine
# (see prisma.config.ts), so the native engines would never run.
ENV CHECKPOINT_DISABLE=1 \
    SCARF_ANALYTICS=false \
    DO_NOT_TRACK=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    PRISMA_QUERY_ENGINE_LIBRARY=/app/prisma.config.ts \
    PRISMA_SCHEMA_ENGINE_BINARY=/app/prisma.config.ts
# Manifests and the Prisma schema first, so this layer is cached until they change
# (@prisma/client's postinstall runs `prisma generate`, which needs the schema).
COPY package.json package-lock.json prisma.config.ts prisma6.config.ts ./
COPY prisma ./prisma
RUN --mount=type=cache,target=/root/.npm npm ci
# Explicit, in case the postinstall hook skipped generation.
RUN npx prisma generate
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
# tsconfig.build.json: rootDir ".", outDir "dist" -> dist/src/*.js and dist/scripts/*.js
RUN npx tsc -p tsconfig.build.json

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    CHECKPOINT_DISABLE=1 \
    DO_NOT_TRACK=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
# The full node_modules, dev dependencies included, on purpose: `npm prune
# --omit=dev` would remove the `prisma6` CLI (a devDependency), which the
# `migrate` service runs from this same image. It also holds the generated
# Prisma client (node_modules/.prisma/client).
# Files stay owned by root: the app user can read them but not change them.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/prisma.config.ts ./prisma.config.ts
COPY --from=build /app/prisma6.config.ts ./prisma6.config.ts
COPY --from=build /app/scripts/lib/prisma6-schema.ts ./scripts/lib/prisma6-schema.ts
# Unprivileged user that ships with the official Node image.
USER node
EXPOSE 3000
# No HEALTHCHECK here: the image also runs the worker and the migration job;
# docker-compose.yml gives the api service its own healthcheck on /healthz.
CMD ["node", "dist/src/server.js"]
