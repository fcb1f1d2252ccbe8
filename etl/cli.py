"""``python -m etl``: build the warehouse, fetch raw files, import a registry."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from etl import paths
from etl.errors import InputError, ValidationError, WarehouseBusy


def _cmd_build(args: argparse.Namespace) -> int:
    from etl.build import build

    manifest = build(raw_dir=args.raw, out=args.out, only=args.only, without=args.without or ())
    print(json.dumps({"row_counts": manifest["row_counts"], "stage_seconds": manifest["stage_seconds"], "total_seconds": manifest["total_seconds"]}, indent=2))
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from etl.fetch import FetchError, fetch

    target = args.raw or (paths.raw_dir() if "DSR_RAW_DIR" in __import__("os").environ else paths.DEFAULT_RAW_DIR)
    try:
        results = fetch(Path(target), args.source or None, force=args.force)
    except FetchError as exc:
        print(f"fetch failed: {exc}", file=sys.stderr)
        return 3
    changed = [r for r in results if r.status == "changed"]
    print(f"{len(results)} files in {target}: " + ", ".join(f"{s} {sum(r.status == s for r in results)}" for s in ("ok", "present", "changed")))
    for r in changed:
        print(f"  changed by the publisher (kept as .new, not used): {r.path}")
    return 4 if changed else 0


def _cmd_checksums(args: argparse.Namespace) -> int:
    from etl.catalogue.inventory import INVENTORY_FILE, record_inventory, write_inventory

    try:
        inventory, changed = record_inventory(args.raw or paths.raw_dir(), args.source or None, edition=args.edition)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_inventory(inventory)
    print(f"{len(inventory)} files in {INVENTORY_FILE}" + "".join(f"\n  accepted as edition {args.edition}: {p}" for p in changed))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the warehouse from the raw files")
    b.add_argument("--raw", type=Path, help="raw-data directory (default: DSR_RAW_DIR, data/raw/, ../shared/data/)")
    b.add_argument("--out", type=Path, help="warehouse directory (default: DSR_WAREHOUSE or data/warehouse/)")
    b.add_argument("--only", metavar="SOURCE", help="rebuild only this source's rows (or this step's, e.g. registries) in an existing warehouse")
    b.add_argument("--without", metavar="SOURCE", action="append",
                   help="build without this source (repeatable): its steps are skipped, e.g. when its files are missing")
    b.set_defaults(func=_cmd_build)

    f = sub.add_parser("fetch", help="download the raw files from their publishers and check their checksums")
    f.add_argument("--raw", type=Path, help="where to put them (default: DSR_RAW_DIR or data/raw/)")
    f.add_argument("--source", action="append", help="only this source (repeatable)")
    f.add_argument("--force", action="store_true", help="download even files that are present")
    f.set_defaults(func=_cmd_fetch)

    c = sub.add_parser("checksums", help="record the inventory of the raw files: checksums, editions, lines (maintainers; accepts a new edition)")
    c.add_argument("--raw", type=Path)
    c.add_argument("--source", action="append", help="only this source's files (repeatable)")
    c.add_argument("--edition", help="the edition (e.g. 2021-11-01) of files whose checksum changed: required when one did")
    c.set_defaults(func=_cmd_checksums)

    try:
        from etl.registry_import import add_parser as add_import_parser
    except ImportError:
        pass
    else:
        add_import_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, ValidationError, WarehouseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("The previous warehouse (if any) is untouched.", file=sys.stderr)
        return 2
