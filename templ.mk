# templ code generation. templ is pinned by the tool directive in go.mod, so
# `go tool templ` needs no separate install and works offline once modules are downloaded.

TEMPL ?= go tool templ

.PHONY: templ-generate templ-fmt templ-check

## templ-generate: generate *_templ.go from the .templ files
templ-generate:
	$(TEMPL) generate

## templ-fmt: format the .templ files
templ-fmt:
	$(TEMPL) fmt .

## templ-check: fail if the committed *_templ.go differ from freshly generated ones
templ-check: templ-generate
	@git diff --exit-code -- '*_templ.go' && \
	if [ -n "$$(git status --porcelain --untracked-files=all -- '*_templ.go' | grep '^??' || true)" ]; then \
		git status --short --untracked-files=all -- '*_templ.go' >&2; false; \
	fi || { echo "generated templ code is out of date: run make templ-generate and commit" >&2; exit 1; }
