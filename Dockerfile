# syntax=docker/dockerfile:1
# One image for the migrate job, the worker and the API (docker-compose.yml picks the command).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# No Prisma telemetry or update check during the build.
ENV CHECKPOINT_DISABLE=1
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# generated/ is not copied in (.dockerignore): the client is generated from prisma/schema.prisma.
# `generate` never runs Prisma's native schema engine, but the CLI downloads one first unless
# PRISMA_SCHEMA_ENGINE_BINARY names an existing file (as `npm run generate` does), so the build
# does not depend on binaries.prisma.sh. Migrations are applied by scripts/migrate.ts, not the CLI.
RUN PRISMA_SCHEMA_ENGINE_BINARY=package.json npx prisma generate
# Compiles everything but test/ into dist/ (tsconfig.build.json).
RUN npx tsc -p tsconfig.build.json
# Drop devDependencies (the Prisma CLI, TypeScript, Jest); tsx stays, it is a dependency.
RUN npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# scripts/migrate.ts reads the migrations from <project root>/prisma/migrations.
COPY --from=build /app/prisma ./prisma
# The API bundles the web portal from its sources (esbuild, in memory) when it starts.
COPY --from=build /app/web ./web
# Files stay owned by root, so the app (running as node) cannot change its own code.
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
