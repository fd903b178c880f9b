# Silo control-plane services (registry, layer-store, scheduler, api) in one image; the compose
# file picks the service by its command. Node agents run on the hosts themselves (see README).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/silo
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/package.json
RUN npm ci
COPY . .
RUN node tools/build/build.mjs --skip-native && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/silo
ENV NODE_ENV=production SILO_HOME=/var/lib/silo
COPY --from=build /opt/silo/package.json ./package.json
COPY --from=build /opt/silo/node_modules ./node_modules
COPY --from=build /opt/silo/dist ./dist
COPY --from=build /opt/silo/apps/cli ./apps/cli
RUN mkdir -p /var/lib/silo && chown node:node /var/lib/silo
USER node
VOLUME ["/var/lib/silo"]
EXPOSE 5000 7070 7071
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["dist/apps/api/src/main.js"]
