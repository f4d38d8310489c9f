"""Consent throughput benchmark: POST consent vs a trivial JSON endpoint, same app, same run.

Starts the service under gunicorn (4 sync workers) on SQLite and on PostgreSQL, drives each
endpoint with `hey` (a separate load-generator process) for a fixed number of requests, in
interleaved rounds so that drift in the machine's speed hits both endpoints alike, then
checks that every request sent became exactly one stored, verified ledger record.
Writes the numbers to bench/results.json. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/cookiegate_bench"
BENCH_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36"


def ensure_hey() -> str:
    found = shutil.which("hey")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "hey"], check=False,
                       stdout=subprocess.DEVNULL)
    found = shutil.which("hey")
    if not found:
        sys.exit("bench: the load generator `hey` is missing (Debian: apt-get install hey)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute("DROP DATABASE IF EXISTS cookiegate_bench WITH (FORCE)")
            conn.execute("CREATE DATABASE cookiegate_bench")
        return True
    except Exception as exc:  # any failure means "no PostgreSQL here"
        print(f"bench: skipping PostgreSQL ({exc})", file=sys.stderr)
        return False


def cookiegate(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(BIN / "cookiegate"), *args], env=env, capture_output=True,
                            text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"bench: cookiegate {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def parse_hey(output: str) -> dict[str, Any]:
    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        if not match:
            raise ValueError(f"cannot find {pattern!r} in hey output:\n{output}")
        return float(match.group(1))

    statuses = {int(code): int(count) for code, count in
                re.findall(r"\[(\d{3})\]\s+(\d+) responses", output)}
    errors = re.search(r"Error distribution:(.*)", output, re.S)
    return {
        "requests_per_second": round(number(r"Requests/sec:\s+([\d.]+)"), 1),
        "p50_ms": round(number(r"50%+ in ([\d.]+) secs") * 1000, 2),
        "p99_ms": round(number(r"99%+ in ([\d.]+) secs") * 1000, 2),
        "statuses": statuses,
        "errors": errors.group(1).strip() if errors else "",
    }


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"bench: service did not come up at {url}")


def run_backend(name: str, database_url: str, hey: str, requests: int, concurrency: int,
                workers: int, rounds: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"cg-bench-{name}-"))
    env = {**os.environ, "COOKIEGATE_DATABASE_URL": database_url,
           "COOKIEGATE_SECRET_KEYS": "bench-secret", "COOKIEGATE_LEDGER_KEYS": "bench-ledger",
           "COOKIEGATE_INSTANCE_PATH": str(workdir), "COOKIEGATE_CONFIG_CACHE_SECONDS": "30"}
    cookiegate(env, "init-db")
    cookiegate(env, "sites", "create", "bench", "--name", "Bench", "--domain", "bench.example")
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "cookiegate:create_app()"], env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/healthz")
        body = json.dumps({"action": "custom", "choices": {"analytics": True},
                           "lang": "en", "page": "https://bench.example/landing"})
        per_round = requests // rounds // concurrency * concurrency  # hey: n // c per worker

        def hey_run(count: int, *args: str) -> dict[str, Any]:
            output = subprocess.run([hey, "-n", str(count), "-c", str(concurrency), *args],
                                    check=True, capture_output=True, text=True).stdout
            return parse_hey(output)

        consent_args = ("-m", "POST", "-T", "application/json",
                        "-H", "Origin: https://bench.example",
                        "-H", f"User-Agent: {BENCH_USER_AGENT}",
                        "-d", body, f"{base}/cg/bench/consent")
        trivial_args = (f"{base}/healthz",)
        warm = concurrency * 32
        hey_run(warm, *trivial_args)
        runs = [hey_run(warm, *consent_args)]
        trivial_rounds, consent_rounds = [], []
        for _ in range(rounds):  # interleaved, so drift in machine speed hits both alike
            trivial_rounds.append(hey_run(per_round, *trivial_args))
            consent_rounds.append(hey_run(per_round, *consent_args))
        runs += consent_rounds
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    verify = cookiegate(env, "ledger", "verify", "--site", "bench")
    match = re.search(r"Ledger intact: (\d+) records verified", verify)
    verified = int(match.group(1)) if match else 0
    stored = _count(database_url)
    sent = warm + per_round * rounds
    created = sum(r["statuses"].get(201, 0) for r in runs)
    ratios = [c["requests_per_second"] / t["requests_per_second"]
              for t, c in zip(trivial_rounds, consent_rounds, strict=True)]
    return {
        "database": name,
        "trivial": _summary(trivial_rounds),
        "consent": _summary(consent_rounds),
        "ratio_consent_to_trivial": round(statistics.median(ratios), 3),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "count_check": {"consent_requests_sent": sent, "responses_201": created,
                        "records_stored": stored, "records_verified": verified,
                        "ledger_intact": match is not None,
                        "ok": sent == created == stored == verified},
    }


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Median over the rounds of each figure."""
    return {key: round(statistics.median(r[key] for r in rounds), 2)
            for key in ("requests_per_second", "p50_ms", "p99_ms")}


def _count(database_url: str) -> int:
    from sqlalchemy import text

    from cookiegate.database import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        count = int(conn.scalar(text("SELECT count(*) FROM consent_records")) or 0)
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn sync workers (4: PostgreSQL round trips leave 2 idle)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="interleaved trivial/consent rounds; the median ratio is reported")
    parser.add_argument("--output", default="bench/results.json")
    args = parser.parse_args()
    hey = ensure_hey()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3")]
        if postgres_available():
            backends.append(("postgresql", PG_BENCH))
        for name, url in backends:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            result = run_backend(name, url, hey, args.requests, args.concurrency, args.workers,
                                 args.rounds)
            runs.append(result)
            print(f"bench: {name}: consent {result['consent']['requests_per_second']}/s, "
                  f"trivial {result['trivial']['requests_per_second']}/s, ratio "
                  f"{result['ratio_consent_to_trivial']}, counts ok "
                  f"{result['count_check']['ok']}", file=sys.stderr, flush=True)
    document = {
        "benchmark": "consent POST vs trivial JSON endpoint under gunicorn",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {"requests_per_endpoint": args.requests, "rounds": args.rounds,
                     "concurrency": args.concurrency,
                     "gunicorn_workers": args.workers, "worker_class": "sync",
                     "load_generator": "hey"},
        "runs": runs,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(document, indent=2) + "\n")
    print(f"bench: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
