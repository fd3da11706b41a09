"""The machine report (``--json``): the report's data, schema 1."""
from __future__ import annotations

import json

from autograder.results import Report


def render(report: Report, lang: str) -> str:
    return json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2)
