"""`cookiegate-scan`: the scanner's command line (the crawler is not built yet)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("cookiegate-scan: the scanner is not yet available in this version.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
