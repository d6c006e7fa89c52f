# Keyless as the api-proxy sidecar of the agentic-workflow firewall (SPEC section 12).
#   docker build -t keyless --build-arg AWF_VERSION=$(git describe --tags --always) .
# See docs/operator.md for how the firewall's compose service maps onto this image.
#
# TypeScript runs on Node 22's type stripping (on by default from 22.18), which
# refuses files under node_modules: the workspace packages stay real folders
# (/app/apps, /app/libs) that node_modules/@keyless/* only links to, as npm lays
# them out. The build stage's COPY/RUN lines are replayed by
# e2e/src/sidecar/production-image.e2e.test.ts, so keep them plain.
ARG NODE_VERSION=22.23

FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# The gateway and every library (the gateway links them all; .dockerignore drops their
# node_modules). Copied before the install, so the dependency layer is rebuilt when a
# source changes: about half a minute, and no manifest list to keep in step with libs/.
COPY apps/gateway apps/gateway
COPY libs libs
# Production dependencies of the gateway and the libraries it links, nothing else
# (no root devDependencies, no e2e, bench or fakes); no install scripts run.
RUN npm ci --omit=dev --ignore-scripts --workspace=@keyless/gateway
# Tests, test doubles and tool configs never ship.
RUN find apps libs -name '*.test.ts' -delete \
    && find apps libs -maxdepth 2 \( -name 'tsconfig.json' -o -name 'vitest.config.ts' \) -delete \
    && rm -rf libs/*/src/testing

FROM node:${NODE_VERSION}-alpine
# curl for the firewall's health check; npm, npx, yarn and corepack are not needed at run time.
RUN apk add --no-cache curl \
    && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
       /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
    && mkdir -p /var/log/api-proxy && chmod 1777 /var/log/api-proxy
WORKDIR /app
# Root-owned and read-only for everyone else: any uid (compose runs the host's uid:gid) can run it.
COPY --from=build /app /app

# Baked in at build time, as the api-proxy's is: `keyless --version` and the usage log schema.
ARG AWF_VERSION=0.0.0-dev
ENV AWF_VERSION=${AWF_VERSION} \
    NODE_ENV=production \
    KEYLESS_HOST=0.0.0.0 \
    AWF_TOKEN_LOG_DIR=/var/log/api-proxy

# Routes: openai, anthropic, copilot, gemini, vertex, bedrock; management (/healthz, /readyz, /metrics).
EXPOSE 10000 10001 10002 10003 10004 10005 10009

# Non-root by default; nothing is written outside /var/log/api-proxy and /tmp, so a
# read-only root filesystem works.
USER node

# The firewall's own check, with its timings (compose overrides it anyway).
HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=15 \
    CMD ["curl", "-f", "http://localhost:10000/health"]

# Exec form: node is PID 1 and receives SIGTERM itself (no shell, no npm in between).
# The heap ceiling fits the firewall's 512 MiB container limit: V8 otherwise sizes its
# heap from the host's memory and collects garbage late, growing towards the limit.
CMD ["node", "--max-old-space-size=256", "apps/gateway/src/main.ts", "serve"]
