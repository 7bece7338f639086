#!/usr/bin/env bash
# Retrains the fraud model through the offline path a user runs: generated traffic written as the pipeline's raw
# archive (Parquet), a point-in-time training set replayed from it, and a model trained on that, added to the
# registry under its content-hash version. Same seed, same model version. Run with `npm run fraud:model`.
set -euo pipefail
events="${EVENTS:-200000}"
seed="${SEED:-42}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npx tsx examples/fraud/cli.ts --events "$events" --seed "$seed" --out "$work" --archive
set="$work/fraud-train-${events}-seed${seed}.parquet"
node dist/streamfeatures.mjs training-set --spec examples/fraud/spec.json --archive "$work/archive" \
  --labels "$work/labels.jsonl" --out "$set"
node dist/streamfeatures.mjs train --training-set "$set" --out-dir examples/fraud/models
