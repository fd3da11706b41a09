"""The HTML report's sequence diagrams, rendered in headless Chromium and measured.

Every label must be whole inside its picture (no clipped "its pro…" at the
right edge), no label may cover an arrowhead or another label, at 1280 px and
on a phone's width; a three-user scenario fits a 1280 px screen without
scrolling.  A script injected into a copy of the page measures the boxes the
browser laid out and writes them into the DOM, which ``--dump-dom`` returns;
a screenshot of each width is taken too.  Skipped only where there is no
Chromium.
"""
from __future__ import annotations

import html as html_module
import json
import re
import shutil
import subprocess

import pytest

from autograder.report import html

pytestmark = pytest.mark.timeout(240)

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome", "chrome")
                 if shutil.which(name)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-sync", "--disable-component-update", "--hide-scrollbars"]
WIDTHS = {"desktop": 1280, "phone": 390}

MEASURE = """<script>
window.addEventListener("load", () => {
  const problems = [], fits = [];
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
                     && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  document.querySelectorAll(".diagram svg").forEach((svg, n) => {
    const box = svg.getBoundingClientRect(), ctm = svg.getScreenCTM();
    fits.push(box.width <= svg.parentElement.clientWidth + 1);
    const heads = [...svg.querySelectorAll("line[marker-end]")].map(line => {
      const p = svg.createSVGPoint();
      p.x = line.x2.baseVal.value; p.y = line.y2.baseVal.value;
      const q = p.matrixTransform(ctm);
      return {left: q.x - 11, right: q.x + 1, top: q.y - 6, bottom: q.y + 6};
    });
    const texts = [...svg.querySelectorAll("text")];
    const labels = [...svg.querySelectorAll("text.label")].map(t => t.getBoundingClientRect());
    texts.forEach(t => {
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        problems.push(`diagram ${n}: "${t.textContent.slice(0, 60)}" overflows its picture`);
      if (t.classList.contains("label") && heads.some(h => hit(r, h)))
        problems.push(`diagram ${n}: "${t.textContent.slice(0, 60)}" covers an arrowhead`);
    });
    labels.forEach((a, i) => labels.slice(i + 1).forEach((b, j) => {
      if (hit(a, b)) problems.push(`diagram ${n}: labels ${i} and ${i + j + 1} overlap`);
    }));
  });
  document.body.setAttribute("data-measured", JSON.stringify({problems, fits}));
});
</script>"""


def entry(t, who, kind, text, key=None):
    return {"t": t, "who": who, "kind": kind, "text": text}


def scenario_with_long_labels():
    long_text = "alice: long-4 is a long line on purpose, as people type them: " + "0123456789" * 10 + "⏎\n"
    rows = [entry(0.001, "alice", "note", "connected"), entry(0.012, "alice", "recv", "NICK⏎\n"),
            entry(0.013, "alice", "send", "alice⏎\n"), entry(0.4, "bob", "note", "connected"),
            entry(0.41, "Гость 1", "recv", "* Гость 1 вошёл в чат, добро пожаловать на сервер лабораторной⏎\n"),
            entry(0.6, "carol", "note", "stops reading (its program hangs) while alice floods the chat with "
                                        "398 messages of 990 characters"),
            entry(0.61, "alice", "send", "398 messages of 990 characters at once (385 KiB) while carol reads nothing"),
            entry(0.62, "bob", "recv", long_text), entry(0.63, "carol", "recv", "x" * 300 + "⏎\n"),
            entry(0.7, "grader", "note", "the server goes away")]
    return rows


def scenario_with_ten_users():
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "127.0.0.1:54321", "Гость 10"]
    rows = []
    for i, name in enumerate(names):
        rows += [entry(i * 0.1, name, "note", "connected"), entry(i * 0.1 + 0.01, name, "send", f"{name}⏎\n")]
    for name in names:
        rows.append(entry(2.0, name, "recv", f"alice: many-1-{name} and a sentence to make it long enough⏎\n"))
    return rows


def page(transcripts):
    checks = [{"id": f"check{i}", "title": f"check {i}", "status": "failed", "points": 0, "max_points": 5,
               "message": "m", "expected": "e", "actual": "a", "transcript": t} for i, t in enumerate(transcripts)]
    report = {"submission": "s", "score": 0, "max_score": 100, "variant": "tcp-multi", "checks": checks}
    return html.render(report, "en").replace("</body>", MEASURE + "</body>")


def measured(path, width, tmp_path):
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / f'profile-{width}'}", f"--window-size={width},1000"]
    shot = tmp_path / f"diagram-{width}.png"
    subprocess.run(base + [f"--screenshot={shot}", path.as_uri()], capture_output=True, timeout=120)
    done = subprocess.run(base + ["--virtual-time-budget=5000", "--dump-dom", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r'data-measured="([^"]*)"', done.stdout)
    assert found, done.stderr[-2000:]
    return json.loads(html_module.unescape(found.group(1))), shot


@needs_chromium
@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_every_label_is_whole_and_clear_of_the_arrows(tmp_path, device):
    path = tmp_path / "report.html"
    path.write_text(page([scenario_with_long_labels(), scenario_with_ten_users()]), encoding="utf-8")
    result, shot = measured(path, WIDTHS[device], tmp_path)
    assert result["problems"] == []
    assert shot.is_file() and shot.stat().st_size > 1000  # the screenshot, for a person who wants to look
    if device == "desktop":
        assert result["fits"] == [True, True]  # no sideways scrolling at 1280 px, even with ten users


def test_labels_live_right_of_every_lane_and_wrap():
    svg = html.sequence_svg(scenario_with_long_labels(), "en")
    lanes = [float(x) for x in re.findall(r'<line x1="([\d.]+)" y1="\d+" x2="\1"', svg)]
    label_x = {float(x) for x in re.findall(r'<text class="label" x="([\d.]+)"', svg)}
    assert len(label_x) == 1 and min(label_x) > max(lanes)
    assert "stops reading (its program hangs)" in html_module.unescape(re.sub(r"<[^>]+>", " ", svg)).replace("  ", " ") \
        or "(its program hangs)" in svg
    assert all(len(line) <= html.LABEL_CHARS for line in re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg))
