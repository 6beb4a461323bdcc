# convene: Node 24 LTS on Debian bookworm (the mediasoup worker links to bookworm's libraries).
FROM node:24-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential make pkg-config python3 python3-pip patch ca-certificates \
      libabsl-dev libsrtp2-dev libuv1-dev nlohmann-json3-dev libssl-dev libusrsctp-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
# postinstall builds (or, with GitHub reachable, downloads) the mediasoup worker. Node 24's npm 11
# honours allowScripts, which keeps mediasoup's own (downloading) install script from running.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libabsl20220623 libsrtp2-1 libssl3 libusrsctp2 libuv1 libnss3 libnspr4 tini \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o node -g node -m 0750 /var/lib/convene
# CONVENE_DATA_DIR is the only place convene writes (and only without CONVENE_JWT_SECRET or
# DATABASE_URL): the root filesystem can be read-only.
ENV NODE_ENV=production PORT=3000 CONVENE_DATA_DIR=/var/lib/convene
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/client/dist ./client/dist
USER node
# 3000: HTTP + WebSocket (public); 9464: Prometheus /metrics (cluster network only); RTC media.
EXPOSE 3000 9464 40000-40099/udp 40000-40099/tcp
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
