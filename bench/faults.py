"""Services taken away from a running site, longer than the suite's tests do: what clients get while
each is away, and how long the site takes to serve again once it is back.

    .venv/bin/python bench/faults.py [--outage 30] [--only postgres,redis,web] [--record]

Starts daphne (and, for Redis, a Celery worker) on a throwaway database, as tests/sage/
test_service_faults.py does, with the same traffic (API reads, guests' comments, chat questions)
from devtools/fault_site.py, and for each fault:

- postgres: the web process's connections to Postgres cut and refused for `--outage` s (a proxy, as
  the tests; the pool keeps its production wait of 5 s);
- redis: a Redis of the run's own (cache, rate limits, channel layer, broker) stopped for `--outage` s;
- web: the web process SIGKILLed, and started again on its port after `--outage` s (a supervisor).

Prints, per fault, the statuses of the requests in flight while the service was away (5xx by
status), any request that got no answer within 20 s, and the recovery figure: seconds from the
service back to the first 2xx, per route. Then checks nothing was lost (comments, answers asked again
by client_id, the ledger). Goals (issue 49): no 5xx but 503; serving again ≤ 30 s after the service
is back; nothing lost.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import Row, add_record_option, record

BENCH_REDIS_DB = 15
RECOVERY_GOAL_SECONDS = 30.0
FAULTS = ("postgres", "redis", "web")


@dataclass
class FaultFigures:
    fault: str
    during: dict[str, int]  # status (or "none: <error>") → count, of requests in flight while away
    server_errors: int  # 5xx other than 503
    hangs: int
    recovery: dict[str, float | None]  # route → seconds from back to its first 2xx
    lost: list[str]

    @property
    def slowest_recovery(self) -> float | None:
        figures = list(self.recovery.values())
        return None if None in figures else max(f for f in figures if f is not None)

    @property
    def met(self) -> bool:
        slowest = self.slowest_recovery
        return (
            not self.server_errors
            and not self.hangs
            and not self.lost
            and slowest is not None
            and slowest <= RECOVERY_GOAL_SECONDS
        )


def configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ["TEST_DATABASE_NAME"] = f"bench_faults_{os.getpid()}"
    os.environ["EMBEDDED_REDIS_DB"] = str(BENCH_REDIS_DB)
    os.environ["TEXT_EMBEDDING_WARM_AT_START"] = "false"
    import django

    from sage.services.startup import start_embedded_services

    start_embedded_services()  # this script is an entry point: the embedded servers when no URLs are set
    django.setup()


def run_one(fault: str, outage: float, work_dir: Path) -> FaultFigures:
    from devtools import faults, processes
    from devtools.fault_site import SERVER_ENV, database_proxy, fault_site_create

    site = fault_site_create()
    quiet = subprocess.DEVNULL
    with contextlib.ExitStack() as stack:
        env = dict(SERVER_ENV)
        take_away: Callable[[], None]
        give_back: Callable[[], None]
        if fault == "postgres":
            proxy, database_url = stack.enter_context(database_proxy())
            env["DATABASE_URL"] = database_url
            take_away, give_back = proxy.cut, proxy.restore
        elif fault == "redis":
            redis_server = stack.enter_context(faults.private_redis(work_dir / "redis"))
            env["REDIS_URL"] = redis_server.url
            stack.enter_context(processes.celery_worker(REDIS_URL=redis_server.url, stderr=quiet))
            take_away, give_back = redis_server.stop, redis_server.start
        port = processes.free_port()
        url, web = stack.enter_context(processes.daphne_process(env, port=port, stdout=quiet, stderr=quiet))
        if fault == "web":

            def take_away() -> None:
                web.send_signal(signal.SIGKILL)
                web.wait(10)

            def give_back() -> None:
                # Started warm, as a supervisor starts production's: it serves at once and says it
                # is ready once its text model is in, which the traffic (a load balancer) waits for.
                warm = {**env, "TEXT_EMBEDDING_WARM_AT_START": "true"}
                stack.enter_context(
                    processes.daphne_process(warm, port=port, stdout=quiet, stderr=quiet, start_timeout=180)
                )
                processes.wait_until_ready(url)

        with faults.Traffic(url, site.routes()) as traffic:
            if not traffic.wait_for_success(time.monotonic(), within=120):
                raise SystemExit(f"{fault}: no traffic before the fault: {faults.refusals(traffic.outcomes)}")
            time.sleep(2)  # a steady state before the fault
            away_at = time.monotonic()
            take_away()
            time.sleep(outage)
            give_back()
            back_at = time.monotonic()
            traffic.wait_for_success(back_at, within=RECOVERY_GOAL_SECONDS * 3)
            time.sleep(1)
        during = traffic.between(away_at, back_at)
        if fault == "web":
            reaped = site.reap_answers_left_streaming()
            print(f"web: {reaped} answers the killed process was writing closed and refunded by the reaper")
        replays = site.send_again(url)
    lost = [f"a comment or question sent again got {status}" for status in replays if status not in (200, 201)]
    lost += site.comment_problems() + site.answer_problems() + site.ledger_problems()
    return FaultFigures(
        fault=fault,
        during=dict(faults.statuses(during)),
        server_errors=sum(faults.server_errors(during).values()),
        hangs=len(faults.hangs(traffic.outcomes)),
        recovery=traffic.recovery_seconds(back_at),
        lost=lost,
    )


def report(figures: FaultFigures, outage: float) -> None:
    recovery = ", ".join(f"{route} {'never' if s is None else f'{s:.1f} s'}" for route, s in figures.recovery.items())
    print(f"\n{figures.fault} away {outage:.0f} s:")
    print(f"  in flight while away: {figures.during}")
    print(f"  5xx other than 503: {figures.server_errors}; no answer within 20 s: {figures.hangs}")
    print(f"  serving again after it was back: {recovery}")
    print(f"  lost or doubled: {figures.lost or 'nothing'}")
    verdict = "met" if figures.met else "NOT met"
    print(f"  goal (no 5xx but 503, back ≤ {RECOVERY_GOAL_SECONDS:.0f} s, nothing lost): {verdict}")


@contextmanager
def throwaway_database() -> Iterator[None]:
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        connection.close()
        teardown_databases(databases, verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds each service stays away (default 30)")
    parser.add_argument("--only", default=",".join(FAULTS), help=f"comma-separated, of {', '.join(FAULTS)}")
    add_record_option(parser)
    arguments = parser.parse_args()
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()]
    if unknown := set(chosen) - set(FAULTS):
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")

    configure_django()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results = []
    with tempfile.TemporaryDirectory(prefix="sage-bench-faults-") as directory, throwaway_database():
        for fault in chosen:
            figures = run_one(fault, arguments.outage, Path(directory) / fault)
            report(figures, arguments.outage)
            results.append(figures)
    if arguments.record:
        record(
            bench="faults",
            path=arguments.record,
            partial=set(chosen) != set(FAULTS),
            rows=[
                Row(
                    f"{f.fault} away {arguments.outage:.0f} s: no 5xx but 503, serving ≤ 30 s after, nothing lost",
                    f"5xx {f.server_errors} of {sum(f.during.values())} ({f.during}); back after "
                    f"{'never' if f.slowest_recovery is None else f'{f.slowest_recovery:.1f} s'}; "
                    f"lost {len(f.lost)}",
                    f.met,
                )
                for f in results
            ],
        )
    return 0 if all(f.met for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())
