# Backupchecks. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

include templ.mk

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LISTEN_ADDR ?= :8080
# The development database: a private cluster in .data, listening on a unix socket only.
DATA_DIR := .data
DEV_DB_PORT ?= 54329
DEV_DB_NAME ?= backupchecks
# Go files outside dot-directories (.data holds the dev cluster, .git the repository),
# the same files ./... covers.
FIND_GO := find . -type d -name '.?*' -prune -o -type f -name '*.go' -print0

.PHONY: help run db-url db-stop test bench soak build fmt lint assets

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## run: start the development database (unless DATABASE_URL is set) and serve on LISTEN_ADDR
run: templ-generate
	@if [ -z "$${DATABASE_URL:-}" ]; then \
		DATABASE_URL=$$(db/pgcluster.sh start $(DATA_DIR) $(DEV_DB_PORT) $(DEV_DB_NAME)); \
		export DATABASE_URL; \
	fi; \
	if [ -z "$${APP_SECRET_KEY:-}" ]; then \
		if [ ! -s $(DATA_DIR)/app-secret-key ]; then \
			mkdir -p $(DATA_DIR); \
			(umask 077; head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' > $(DATA_DIR)/app-secret-key); \
			echo "created $(DATA_DIR)/app-secret-key" >&2; \
		fi; \
		APP_SECRET_KEY=$$(cat $(DATA_DIR)/app-secret-key); \
		export APP_SECRET_KEY; \
	fi; \
	export LISTEN_ADDR='$(LISTEN_ADDR)'; \
	port=$${LISTEN_ADDR##*:}; \
	echo "database: $$DATABASE_URL" >&2; \
	echo "open http://localhost:$$port/ once it says it is listening" >&2; \
	exec go run . serve

## db-url: start the development database if needed and print its URL: export DATABASE_URL=$(make -s db-url)
db-url:
	@db/pgcluster.sh start $(DATA_DIR) $(DEV_DB_PORT) $(DEV_DB_NAME)

## db-stop: stop the development database
db-stop:
	db/pgcluster.sh stop $(DATA_DIR)

## test: the whole suite (checks + go test -race) against a throwaway cluster, as CI runs it
test:
	.ci/test.sh

## bench: the benchmarks against a throwaway cluster (BENCH=pattern)
bench:
	.ci/test.sh bench

## soak: crash, restart and fault the app for a few minutes (its own PostgreSQL, two web replicas, two workers) and print the figures
soak:
	.ci/test.sh soak

## build: a static binary in bin/backupchecks
build: templ-generate
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/backupchecks .

## fmt: format the Go and templ code
fmt:
	$(FIND_GO) | xargs -0 -r gofmt -w
	$(MAKE) --no-print-directory templ-fmt

## lint: gofmt, go vet and the generated templ code check
lint:
	@out=$$($(FIND_GO) | xargs -0 -r gofmt -l); if [ -n "$$out" ]; then echo "$$out" >&2; echo "not gofmt-formatted: run make fmt" >&2; exit 1; fi
	go vet ./...
	$(MAKE) --no-print-directory templ-check

## assets: refresh the vendored front-end files (assets/vendor) from the pinned npm versions
assets:
	assets/vendor.sh
