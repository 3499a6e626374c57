"""Run the benchmarks in this folder: ``python -m bench`` runs them all, ``python -m bench --list``
lists them, ``python -m bench matching`` runs the ones named. A benchmark is a module named
``<name>_bench.py`` with a ``main(argv) -> int``; each one's own options go after ``--``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

SUFFIX = "_bench"


def available() -> list[str]:
    folder = str(Path(__file__).parent)
    return sorted(m.name[: -len(SUFFIX)] for m in pkgutil.iter_modules([folder]) if m.name.endswith(SUFFIX))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args, bench_args = parser.parse_args(argv[:split]), argv[split + 1 :]
    if args.list:
        print("\n".join(available()))
        return 0
    unknown = sorted(set(args.names) - set(available()))
    if unknown:
        parser.error(f"no benchmark called {', '.join(unknown)}; there are: {', '.join(available())}")
    failed = []
    for name in args.names or available():
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"bench.{name}{SUFFIX}")
        if module.main(bench_args) != 0:
            failed.append(name)
    if failed:
        print(f"missed their targets: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
