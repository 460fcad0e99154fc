"""``python -m service``: serve with only ``models`` and ``service`` installed (the image's command).

The same options as ``threatcast serve``; invalid settings exit with code 2, a port that cannot be
bound with code 1, each with one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from service.server import run, settings_problems


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not in 1-65535")
    return port


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of ``python -m service``."""
    parser = argparse.ArgumentParser(prog="python -m service", description="Serve forecasts over HTTP.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 in a container)")
    parser.add_argument("--port", type=_port, default=8000, help="TCP port (1-65535)")
    parser.add_argument("--model", default=None, help="model URI (default: THREATCAST_MODEL_URI or "
                                                      "models:/threatcast@champion)")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: "
                        "THREATCAST_TRACKING_URI, MLFLOW_TRACKING_URI or the store under "
                        "THREATCAST_DATA_DIR, ./data)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; the exit code (2 for invalid settings, 1 when the port is unusable)."""
    args = parse_args(argv)
    try:
        run(host=args.host, port=args.port, model_uri=args.model, tracking_uri=args.tracking_uri)
    except ValidationError as exc:
        print(f"error: invalid service settings: {settings_problems(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
