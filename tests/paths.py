"""Where the test suite finds the material shared beside the checkout (``../shared``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PLAYBOOK_TEMPLATES = SHARED / "playbook-templates"
TEMPLATES_MISSING = f"the shared playbook templates are not at {PLAYBOOK_TEMPLATES}"
