# syntax=docker/dockerfile:1
#
# AgentOS node image. Build:  docker build -t agentos .
# Run (embedded PGlite, data in a volume):
#   docker run -p 3000:3000 -e GATEWAY_AUTH_TOKEN=<24+ chars> -v agentos-data:/data agentos
# Every variable the node reads is listed in lib/kernel/config-schema.ts.

# --- build: compile TypeScript, then drop dev dependencies --------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
	&& rm -f dist/.tsbuildinfo \
	&& npm prune --omit=dev --no-audit --no-fund

# --- runtime: the compiled node, production dependencies only, as a non-root user -----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
	HOST=0.0.0.0 \
	PORT=3000 \
	AGENTOS_DATA_DIR=/data
WORKDIR /app
# Application files stay owned by root (read-only to the node user); only /data is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/dist ./dist
# Agent code the node may run (AGENT_CODE_PATHS defaults to ./agents).
COPY --from=build /app/agents ./agents
# Created before VOLUME so that a fresh named volume inherits the node user's ownership.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
# The slim image has no curl: ask /live with node's own fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
	CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/live').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/cli/agent-os.js", "start"]
