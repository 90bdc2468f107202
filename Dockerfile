# Backupchecks: a static binary on a distroless, non-root base image.
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t backupchecks .
# The generated templ code and the vendored assets are committed, so the build needs only Go.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/backupchecks .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/backupchecks /usr/local/bin/backupchecks
USER nonroot:nonroot
ENV LISTEN_ADDR=:8080
EXPOSE 8080
# No curl in distroless: the binary checks its own /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
	CMD ["/usr/local/bin/backupchecks", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/backupchecks"]
CMD ["serve"]
