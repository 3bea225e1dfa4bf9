"""axe-core in the page under test, without loosening its CSP.

The door pages forbid inline scripts, so `page.add_script_tag(content=...)` is blocked.
Playwright's `page.evaluate` runs through the DevTools protocol, which the page's CSP does
not govern, so axe is defined by evaluating its source as a function body.
"""

from functools import cache
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def run_axe(page) -> list[dict]:
    """All axe-core violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate("source => { (0, eval)(source); }", _source())
    return page.evaluate("async () => (await window.axe.run(document)).violations")


def serious_violations(page) -> list[str]:
    """Serious and critical axe findings, one readable line each (empty when all is well)."""
    return [
        f"{v['impact']}: {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in run_axe(page)
        if v["impact"] in SERIOUS
    ]
