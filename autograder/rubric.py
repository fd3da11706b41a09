"""The rubric: points per check, the cap per variant, the threading rule.

Loaded from ``rubric.toml`` beside this module unless the instructor names
another file; the numbers live in that file only.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

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

    def score(self, variant: str, earned: float, available: float, uses_threading: bool) -> float:
        if available <= 0:
            return 0.0
        score = self.cap(variant) * earned / available
        if not uses_threading:
            score *= self.no_threading_factor
        return round(score, 1)


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
