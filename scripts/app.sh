#!/usr/bin/env bash
# One command that sets up, builds the warehouse from the raw kit when it is
# missing, and runs the app on http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
warehouse="${DSR_WAREHOUSE:-data/warehouse}"
if [ ! -f "$warehouse/manifest.json" ]; then
  echo "== building the warehouse in $warehouse (about a minute)"
  .venv/bin/python -m etl build
fi
exec .venv/bin/python -m streamlit run dashboard/app.py "$@"
