"""`python -m bench`: run each bench/bench_*.py defining run() -> dict; print and save results."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

OUT = Path(__file__).parent / "out"


def main(selected: list[str]) -> int:
    OUT.mkdir(exist_ok=True)
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_") and (not selected or m.name in selected)
    )
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        result = module.run()
        print(f"{name}:")
        for key, value in result.items():
            print(f"  {key}: {value}")
        (OUT / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
