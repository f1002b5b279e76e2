# Makefile targets mirror the etl commands. `make demo` runs the platform end to end from a
# fresh clone; `make test` runs the whole test suite. Both install and start what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Turborepo's first run on a machine prints a notice about its telemetry: off, and silent.
export TURBO_TELEMETRY_DISABLED := 1
export DO_NOT_TRACK := 1

PNPM := $(shell command -v pnpm 2>/dev/null || echo "npx --yes pnpm@10.34.8")
ETL := node packages/cli/bin/run.js
# Docker when an engine answers, the native path (infra/local) otherwise.
DOCKER_OK := $(shell docker info >/dev/null 2>&1 && echo yes)

.PHONY: help deps install build lint typecheck up down demo test test-unit test-integration test-faults bench bench-peers init doctor seed replicate verify marts produce stream pipeline runs ui clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

node_modules/.modules.yaml: pnpm-lock.yaml package.json packages/*/package.json
	$(PNPM) install --frozen-lockfile
	@touch $@

deps: node_modules/.modules.yaml ## Install dependencies (pnpm install --frozen-lockfile)

build: deps ## Compile every package
	$(PNPM) run build

PREFIX ?= $(HOME)/.local
install: build ## Put an etl executable in PREFIX/bin (default ~/.local/bin) that runs from any directory
	scripts/install-etl "$(PREFIX)"

lint: build ## Lint (type-aware)
	$(PNPM) run lint

typecheck: build ## Type-check sources and tests
	$(PNPM) run typecheck

up: ## Start PostgreSQL, MySQL and Kafka (Docker if available, native otherwise)
ifeq ($(DOCKER_OK),yes)
	docker compose up -d --wait
else
	infra/local/up
endif

down: ## Stop what `make up` started
ifeq ($(DOCKER_OK),yes)
	docker compose down
else
	infra/local/down
endif

demo: build up ## Install, build, start the services and run the whole pipeline end to end
	$(ETL) pipeline $(ARGS)
	$(ETL) marts show product_sales_analytics --limit 5
	$(ETL) doctor

test: build up ## Run every test: unit, and integration against the real services
	$(PNPM) run test

test-unit: build ## Run the unit tests only (no services)
	$(PNPM) run test:unit

test-integration: build up ## Run the integration tests only
	$(PNPM) run test:integration

test-faults: build up ## Run the fault suite: commands killed, services restarted mid-run (ETL_FAULT_SEED replays)
	$(PNPM) run test:faults

bench: build up ## Run the benchmarks (pnpm bench [case…]); the peers run only when named
	$(PNPM) run bench

bench-peers: build up ## etl beside Debezium, resolved from Maven Central into the cache: cdc-peer at 20,000 changes
	infra/peers/debezium/resolve >/dev/null
	$(PNPM) run bench cdc-peer --size 20000

init: build ## etl init
	$(ETL) init $(ARGS)

doctor: build ## etl doctor
	$(ETL) doctor $(ARGS)

seed: build ## etl seed (pass options with ARGS="--orders 100000")
	$(ETL) seed $(ARGS)

replicate: build ## etl replicate (ARGS="--mode full --tables users")
	$(ETL) replicate $(ARGS)

verify: build ## etl verify
	$(ETL) verify $(ARGS)

marts: build ## etl marts (ARGS="--only sales_daily")
	$(ETL) marts $(ARGS)

produce: build ## etl produce (ARGS="--count 100000" or "--follow --rate 50")
	$(ETL) produce $(ARGS)

stream: build ## etl stream (ARGS="--follow")
	$(ETL) stream $(ARGS)

pipeline: build ## etl pipeline (ARGS="--every 15m --wait")
	$(ETL) pipeline $(ARGS)

runs: build ## etl runs
	$(ETL) runs $(ARGS)

ui: build ## etl ui: the local web page on http://127.0.0.1:8080 (ARGS="--port 9000 --open")
	$(ETL) ui $(ARGS)

clean: ## Remove build output (not the databases)
	rm -rf packages/*/dist .turbo packages/*/.turbo
