# azaudit as a container image for scheduled jobs (examples/kubernetes/cronjob.yaml):
#   docker build -t azaudit:0.1.0 .
# Two stages: the build needs Rust and a C compiler (ring, the TLS crypto; the rust image has gcc);
# the image only the binary, the CA certificates the OS trust store reads, and an unprivileged user.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin azaudit

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/azaudit /usr/local/bin/azaudit
# The same unprivileged user the CronJob's securityContext asks for.
USER 65532:65532
ENTRYPOINT ["azaudit"]
CMD ["--help"]
