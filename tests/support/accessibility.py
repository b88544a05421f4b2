"""axe-core audits of pages in a real Chromium (the pinned copy in tests/vendor/axe-core/).

The engine is injected by a Playwright init script, so pages keep their own strict
Content-Security-Policy. An audit runs the WCAG 2.0, 2.1 and 2.2 level A and AA rules on the
page as it is (after its scripts ran) at each viewport width asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.support.paths import REPOSITORY_ROOT

AXE_JS = REPOSITORY_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
RUN_AXE = """(tags) => axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
})"""


def prepare(context: Any) -> None:
    """Every page of ``context`` gets ``window.axe`` before its own scripts run."""
    context.add_init_script(path=str(AXE_JS))


def violations(page: Any) -> list[str]:
    """One line per violated rule: id, impact, what it asks, and where (first five nodes).

    A page that refreshes itself (a ``Refresh`` header) may be replaced during the audit: it
    is audited again once the new page has loaded."""
    try:
        result = page.evaluate(RUN_AXE, list(WCAG_TAGS))
    except Exception as error:  # playwright's Error; the page navigated under the audit
        if "context was destroyed" not in str(error):
            raise
        page.wait_for_load_state("load")
        result = page.evaluate(RUN_AXE, list(WCAG_TAGS))
    lines = []
    for violation in result["violations"]:
        where = "; ".join(
            " ".join(map(str, node["target"])) + f" ({node.get('failureSummary', '')[:160]})"
            for node in violation["nodes"][:5]
        )
        lines.append(f"{violation['id']} [{violation['impact']}] {violation['help']}: {where}")
    return lines


@dataclass
class Audit:
    """Audits pages one after the other and keeps what it found, to report all at once."""

    found: dict[str, list[str]] = field(default_factory=dict)
    audits: int = 0

    def check(self, page: Any, name: str, sizes: tuple[dict[str, int], ...] = (PHONE,)) -> None:
        page.wait_for_load_state("load")
        for size in sizes:
            page.set_viewport_size(size)
            self.audits += 1
            found = violations(page)
            if found:
                self.found[f"{name} at {size['width']} px"] = found
        page.set_viewport_size(PHONE)

    def report(self) -> str:
        return "\n".join(
            f"{where}:\n  " + "\n  ".join(lines) for where, lines in sorted(self.found.items())
        )
