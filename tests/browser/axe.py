"""The accessibility check: the vendored axe-core, injected into a page, run against WCAG 2.1 A and AA.

``assert_accessible(page)`` fails with a readable list of every violation whose impact is serious or critical (rule,
impact, help text, the elements and axe's summary of what to fix). Minor and moderate findings are not failures.
axe-core is a test-only asset (``tests/browser/vendor/axe-core/``); Kontor never serves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE_SCRIPT.read_text(encoding="utf-8") + "\n;typeof window.axe"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = frozenset({"serious", "critical"})

# Runs axe on the whole document and hands back only what the report needs (the full result is large).
# preload: false: axe's stylesheet preloading re-parses every stylesheet through inline <style> elements, which the
# CSP refuses (console errors on pages whose CSS uses @import, such as the admin's forms); only the rule
# css-orientation-lock needs it, and no Kontor stylesheet locks the orientation.
RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
    preload: false,
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(" "),
      html: node.html,
      summary: node.failureSummary,
      impact: node.impact,
    })),
  }));
}
"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every WCAG 2.1 A/AA violation axe finds on the page as it is now (any impact)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol rather than added as a <script> element (add_script_tag): Kontor's
        # Content-Security-Policy rightly refuses inline scripts, and the check must not weaken it.
        page.evaluate(AXE_SOURCE)
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, WCAG_TAGS)
    return violations


def serious_violations(page: Page) -> list[dict[str, Any]]:
    return [violation for violation in axe_violations(page) if violation["impact"] in FAILING_IMPACTS]


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{url}:"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    - {node['target']}: {node['html'][:160]}")
            summary = " ".join(str(node["summary"] or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail if axe finds a serious or critical WCAG 2.1 A/AA violation on the page."""
    violations = serious_violations(page)
    assert not violations, "axe found serious or critical violations:\n" + format_violations(page.url, violations)
