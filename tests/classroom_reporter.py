"""GitHub Classroom's reporter, its arithmetic redone in Python, and the workflow it runs in.

``classroom-resources/autograding-grading-reporter@v1`` (src/main.js,
src/helpers/test-helpers.js, src/aggregate-results.js, src/notify-classroom.js)
reads ``<RUNNER>_RESULTS`` (base64 JSON) for each id in ``runners`` and

* logs a table: per runner ``passed / tests.length * (max_score || 0)``, then
  the totals of that column and of ``max_score``, added left to right;
* sends Classroom ``Points <sum of every test's score>/<sum of max_score>``
  over the runners whose ``max_score`` is not 0;
* fails the job (red) when a runner's status is ``fail`` or ``error``.

Python floats are the IEEE doubles JavaScript uses, and the operations are done
in the same order, so the numbers here are the reporter's, bit for bit.
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Dict, List, Tuple

import yaml


def js_sum(values) -> float:
    total = 0
    for value in values:
        total = total + value
    return total


def js_number(value: float) -> str:
    """``${value}`` in JavaScript, for the numbers that occur here."""
    if float(value).is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(float(value))


def decode(encoded: str) -> dict:
    return json.loads(base64.b64decode(encoded).decode("utf-8"))


def report(runner_results: List[Tuple[str, dict]]) -> dict:
    """What the reporter logs and sends for ``[(runner id, results)]``."""
    rows = []
    for runner, results in runner_results:
        max_score = results.get("max_score") or 0
        passed = sum(1 for t in results["tests"] if t["status"] == "pass")
        rows.append((runner.strip(), (passed / len(results["tests"])) * max_score, max_score))
    graded = [results for _, results in runner_results if results.get("max_score")]
    points = js_sum(t["score"] for results in graded for t in results["tests"])
    max_points = js_sum(results["max_score"] for results in graded)
    return {"rows": rows, "table_total": js_sum(r[1] for r in rows), "table_max": js_sum(r[2] for r in rows),
            "points": points, "max_points": max_points,
            "notice": f"Points {js_number(points)}/{js_number(max_points)}",
            "red": any(results["status"] in ("fail", "error") for _, results in runner_results)}


# --- the generated workflow, as the Actions runner reads it ---------------------------------------

def load_workflow(text: str) -> dict:
    return yaml.safe_load(text)


def steps(workflow: dict) -> List[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def step(workflow: dict, uses_or_id: str) -> dict:
    return next(s for s in steps(workflow) if s.get("id") == uses_or_id or s.get("uses", "").startswith(uses_or_id))


def read_key_values(path: Path) -> Dict[str, str]:
    """``$GITHUB_OUTPUT`` / ``$GITHUB_ENV``: ``NAME=value`` lines, the last one of a name wins."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def expand(text: str, outputs: Dict[str, Dict[str, str]]) -> str:
    """``${{ steps.ID.outputs.NAME }}`` replaced (the only expression the reporter step uses)."""
    def one(match):
        step_id, name = match.group(1), match.group(2)
        return outputs.get(step_id, {}).get(name, "")
    return re.sub(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}", one, str(text))


def reporter_inputs(workflow: dict, outputs: Dict[str, Dict[str, str]], job_env: Dict[str, str]):
    """``[(runner id, results)]`` as the reporter step of ``workflow`` gets them."""
    reporter = step(workflow, "classroom-resources/autograding-grading-reporter")
    env = dict(job_env)
    env.update({name: expand(value, outputs) for name, value in (reporter.get("env") or {}).items()})
    runners = expand(reporter["with"]["runners"], outputs)
    return [(runner, decode(env[f"{runner.strip().upper()}_RESULTS"])) for runner in runners.split(",")]
