"""The ``ala`` command line: ``ala fit``, ``ala predict``, ``ala evaluate``.

User mistakes (bad files, unknown configurations) print one line to stderr and exit with
status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ala.baselines import METHOD_NAMES
from ala.data import load_benchmarks, load_queries
from ala.errors import AlaError
from ala.evaluate import PAPER_PROTOCOLS, PROTOCOLS, evaluate, format_summary
from ala.model import METHODS, ThroughputModel


def _mapping(items: Sequence[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise AlaError(f"--map expects CANONICAL=COLUMN (e.g. thpt=tok_per_s), got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _csv_list(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    data = load_benchmarks(
        args.data,
        columns=_mapping(args.map),
        config_columns=_csv_list(args.config_columns),
        duplicates=args.duplicates,
    )
    print(data.report.summary(), file=sys.stderr)
    return data


def cmd_fit(args: argparse.Namespace) -> int:
    data = _load(args)
    model = ThroughputModel(args.method, seed=args.seed).fit(data)
    model.save(args.output)
    status = model.database_["status"].value_counts().to_dict()
    print(
        f"fitted {len(model.configs_)} configurations, {len(model.database_)} curves "
        f"({', '.join(f'{v} {k}' for k, v in status.items())}) with method "
        f"'{args.method}'; saved to {args.output}",
        file=sys.stderr,
    )
    if args.database:
        model.database_.to_csv(args.database, index=False)
        print(f"parameter database written to {args.database}", file=sys.stderr)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    model = ThroughputModel.load(args.model)
    raw, queries = load_queries(args.queries, model.config_columns_, model.column_map_)
    pred = model.predict(queries)
    out = raw.copy()
    out["thpt_pred"] = pred["thpt_pred"].to_numpy()
    out["source"] = pred["source"].to_numpy()
    if args.output:
        out.to_csv(args.output, index=False)
        print(f"{len(out)} predictions written to {args.output}", file=sys.stderr)
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    data = _load(args)
    methods = _csv_list(args.methods) or list(METHOD_NAMES)
    result = evaluate(
        data,
        methods=methods,
        protocols=args.protocol or list(PAPER_PROTOCOLS),
        k=args.k,
        seed=args.seed,
    )
    table = result.summary()
    if args.json:
        print(
            json.dumps(
                {
                    "summary": table.to_dict(orient="records"),
                    "skipped": result.skipped.to_dict(orient="records"),
                },
                indent=2,
            )
        )
    else:
        print(format_summary(table))
    if args.errors:
        result.errors.to_csv(args.errors, index=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ala", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def data_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("data", type=Path, help="benchmark CSV (ii, oo, bb, thpt + configuration)")
        p.add_argument(
            "--map",
            action="append",
            metavar="CANONICAL=COLUMN",
            help="column mapping, repeatable, e.g. --map thpt=tok_per_s",
        )
        p.add_argument(
            "--config-columns",
            metavar="A,B",
            help="columns that identify a configuration (default: all recognised)",
        )
        p.add_argument(
            "--duplicates",
            choices=["mean", "keep"],
            default="mean",
            help="average repeated measurements (default) or keep them",
        )
        p.add_argument("--seed", type=int, default=0)

    fit = sub.add_parser("fit", help="fit a throughput model and save it as JSON")
    data_args(fit)
    fit.add_argument("-o", "--output", type=Path, required=True, help="model JSON to write")
    fit.add_argument("--method", choices=METHODS, default="default")
    fit.add_argument("--database", type=Path, help="also write the parameter database as CSV")
    fit.set_defaults(func=cmd_fit)

    pred = sub.add_parser("predict", help="predict throughput for query rows")
    pred.add_argument("model", type=Path, help="model JSON written by 'ala fit'")
    pred.add_argument("queries", type=Path, help="CSV with configuration columns and ii, oo, bb")
    pred.add_argument("-o", "--output", type=Path, help="CSV to write (default: stdout)")
    pred.set_defaults(func=cmd_predict)

    ev = sub.add_parser("evaluate", help="compare methods under hold-out protocols")
    data_args(ev)
    ev.add_argument(
        "--protocol",
        action="append",
        choices=PROTOCOLS,
        help=f"repeatable (default: {', '.join(PAPER_PROTOCOLS)})",
    )
    ev.add_argument(
        "--methods",
        metavar="M1,M2",
        help=f"comma-separated from {', '.join(METHOD_NAMES)} (default: all)",
    )
    ev.add_argument("--k", type=int, default=5, help="folds of the kfold protocol")
    ev.add_argument("--json", action="store_true", help="print machine-readable JSON")
    ev.add_argument("--errors", type=Path, help="write per-row errors to this CSV")
    ev.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AlaError as exc:
        print(f"ala: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ala: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
