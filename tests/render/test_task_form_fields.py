"""The task form's field names are the ones the domain names its problems by."""

from __future__ import annotations

from bot.domain.run_checklists import task_text_problems
from bot.render import task_forms


def test_the_domain_names_problems_by_the_forms_field_names() -> None:
    named = set(task_text_problems("", "x" * 5000, "page")) | set(task_text_problems("", "", "page"))
    assert named == {task_forms.TITLE_FIELD, task_forms.DESCRIPTION_FIELD, task_forms.COMMAND_FIELD}
