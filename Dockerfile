# syntax=docker/dockerfile:1
# Bucketlist API: build the TypeScript once, then run it as a non-root user with production
# dependencies only. Configure with environment variables (see .env.example), e.g.
#   docker build -t bucketlist-api .
#   docker run -p 3000:3000 -e JWT_SECRET=... -e DATABASE_URL=postgres://... bucketlist-api

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data/pglite
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
# The embedded database (used when DATABASE_URL is unset) writes here; mount a volume to keep it.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (close-with-grace in server.js): in-flight requests finish.
# The heap sizes are npm start's (see "Memory" in the README); test/production/build.test.ts keeps them equal.
CMD ["node", "--max-old-space-size=512", "--max-semi-space-size=8", "dist/server.js"]
