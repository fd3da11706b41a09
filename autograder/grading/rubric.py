"""The rubric: points per check, the cap per variant, the threading rule.

Loaded from ``rubric.toml`` beside this module unless the instructor names
another file; the numbers live in that file only.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from autograder.results import PENDING, UNSCORED

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

DEFAULT = Path(__file__).with_name("rubric.toml")


@dataclass
class Rubric:
    caps: Dict[str, float]
    points: Dict[str, float]
    no_threading_factor: float = 1.0
    hidden: List[str] = field(default_factory=list)
    source: str = str(DEFAULT)

    def cap(self, variant: str) -> float:
        return float(self.caps.get(variant, 0))



def scores(cap: float, factor: float, checks: Iterable[Tuple[str, float]]) -> Tuple[float, float]:
    """(earned now, earned if every check waiting for a person passed) from ``(status, max_points)``.

    Only our own errors leave the denominator; a ``manual`` check keeps its
    points there and earns them only when a person passes it.
    """
    checks = [(status, points) for status, points in checks if status not in UNSCORED]
    available = sum(points for _, points in checks)
    if available <= 0:
        return 0.0, 0.0
    earned = sum(points for status, points in checks if status == "passed")
    pending = sum(points for status, points in checks if status in PENDING)
    return round(cap * factor * earned / available, 1), round(cap * factor * (earned + pending) / available, 1)


def load(path: Optional[Path] = None) -> Rubric:
    path = Path(path) if path else DEFAULT
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return Rubric(
        caps={k: float(v) for k, v in data.get("caps", {}).items()},
        points={k: float(v) for k, v in data.get("points", {}).items()},
        no_threading_factor=float(data.get("threading", {}).get("no_threading_factor", 1.0)),
        hidden=list(data.get("hidden", {}).get("checks", [])),
        source=str(path),
    )
