# syntax=docker/dockerfile:1
#
# Kith as a container image: one static-stdlib binary on Debian bookworm-slim.
#
#   docker build -t kith .
#   docker run -d --name kith -p 8080:8080 -v kith-data:/data kith
#   docker logs kith        # on a new, empty database the first start prints one admin key (once)
#   docker exec kith kith keys create --role officer --name "Jo Bloggs"
#   docker exec kith kith backup /data/kith-backup.sqlite
#   docker stop kith        # SIGTERM: Kith finishes requests in flight, then exits
#
# Every `kith serve` flag can be set as a KITH_* variable (e.g. -e KITH_CORS_ORIGINS=https://x.example);
# `docker run --rm kith serve --help` lists them.
#
# The builder tag matches the toolchain the project is developed with (Swift 6.3.1). It could not be
# pulled here (no Docker engine on the development machines), so if the tag does not exist, pass
# another one: docker build --build-arg SWIFT_IMAGE=swift:6.3-bookworm -t kith .
# Keep builder and runtime on the same Debian release (bookworm): the binary links that release's
# libsqlite3, libcrypto (OpenSSL 3), libstdc++ and glibc.

ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------- build
FROM ${SWIFT_IMAGE} AS build

# Headers for the system-library targets CSQLite and CCrypto (see Package.swift); pkg-config finds
# sqlite3's flags; binutils for strip (the Swift images normally have both already).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libsqlite3-dev libssl-dev pkg-config binutils \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Sources, Plugins, migrations/ and openapi.yaml are needed: the EmbedResources plugin compiles the
# migrations and the spec into the binary. Tests/ comes too, because Package.swift declares its
# targets (they are not built). See .dockerignore for what stays out.
COPY . .

# --static-swift-stdlib links the Swift standard library, the concurrency runtime and Dispatch into
# the binary, so the runtime image needs no Swift toolchain. Only the `kith` product is built, not the
# test-support target.
# strip --strip-debug drops DWARF (about 15 MB -> 13.6 MB) but keeps the symbol table, so Swift's
# crash backtraces still name functions.
RUN swift build -c release --static-swift-stdlib --product kith \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/kith" /out/kith \
    && strip --strip-debug /out/kith \
    && /out/kith --help >/dev/null

# ---------------------------------------------------------------------------- runtime
FROM ${RUNTIME_IMAGE}

# What the binary links dynamically (ldd): libsqlite3.so.0 (libsqlite3-0), libcrypto.so.3 (libssl3),
# plus libstdc++6, libgcc-s1 and libc6, which bookworm-slim already has (apt needs them).
# ca-certificates for any future outbound TLS; curl for the HEALTHCHECK below.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libsqlite3-0 libssl3 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user owning the data directory (fixed ids, so a bind-mounted /data can be chowned
# to 10001:10001 on the host).
RUN groupadd --gid 10001 kith \
    && useradd --uid 10001 --gid kith --home-dir /data --no-create-home --shell /usr/sbin/nologin kith \
    && install -d -o kith -g kith -m 0750 /data

COPY --from=build /out/kith /usr/local/bin/kith

# The database (and its -wal and -shm files) lives on the volume. Listen on all interfaces inside the
# container; publish the port with -p to choose who can reach it.
ENV KITH_DB=/data/kith.sqlite \
    KITH_HOST=0.0.0.0 \
    KITH_PORT=8080
VOLUME ["/data"]
WORKDIR /data
USER kith:kith
EXPOSE 8080

# /healthz needs no key and no database. ${KITH_PORT:-8080} keeps the check right if KITH_PORT is
# changed with -e.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${KITH_PORT:-8080}/healthz" || exit 1

STOPSIGNAL SIGTERM
ENTRYPOINT ["kith"]
CMD ["serve"]
