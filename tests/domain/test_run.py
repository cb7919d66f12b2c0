"""The run model: building runs from playbooks, item state, addressing, people, finishing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.domain.run as domain_run
from bot.domain import timeline
from bot.domain.errors import DomainError
from bot.domain.playbook import AssigneeType, ChecklistItemTemplate, ChecklistTemplate
from bot.domain.run import (
    FinishNeedsConfirmationError,
    InvalidChangeError,
    InvalidItemStateError,
    ItemState,
    NoSuchChecklistError,
    NoSuchItemError,
    Run,
    RunAlreadyFinishedError,
    RunChange,
    RunFinishedError,
    RunItem,
    RunNotFinishedError,
    RunStatus,
    StaleClickError,
    add_item,
    add_participants,
    apply_click,
    assign_item,
    change_owner,
    finish_run,
    follow,
    iter_items,
    locate,
    new_run_checklists,
    open_items_for,
    overdue_items,
    progress,
    record_command_copied,
    remove_item,
    remove_participants,
    rename_item,
    restore_item,
    restore_run,
    set_item_due,
    set_item_state,
    skip_item,
    start_run,
    unfollow,
)
from bot.domain.timeline import TimelineEventType, event, render_summary

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)

PLAYBOOK_CHECKLISTS = (
    ChecklistTemplate(
        title="Triage",
        items=(
            ChecklistItemTemplate(
                title="Start bridge call", command="/zoom start", due_after=timedelta(minutes=15)
            ),
            ChecklistItemTemplate(title="Page on-call", assignee_id="bob"),
            ChecklistItemTemplate(title="Write first update", assignee_type=AssigneeType.OWNER),
        ),
    ),
    ChecklistTemplate(
        title="Resolve",
        items=(
            ChecklistItemTemplate(title="Fix it", description="Roll back if unsure."),
            ChecklistItemTemplate(title="Thank the reporter", assignee_type=AssigneeType.CREATOR),
        ),
    ),
)


def ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"id{next(counter)}"


def mention(user_id: str) -> str:
    return f"@{user_id}"


def new_run(checklists: tuple[ChecklistTemplate, ...] = PLAYBOOK_CHECKLISTS) -> Run:
    run = Run(
        id="run1",
        number=42,
        playbook_id="pb1",
        team_id="team1",
        name="Database down",
        owner_id="alice",
        reporter_id="rita",
        channel_id="ch1",
        created_at=T0,
        sequential_id="INC-00042",
        checklists=new_run_checklists(checklists, T0, ids(), owner_id="alice", reporter_id="rita"),
    )
    return start_run(run, at=T0).run


def at(run: Run, checklist_no: int, item_no: int) -> RunItem:
    return locate(run, checklist_no, item_no).item


def set_state(run: Run, checklist_no: int, item_no: int, state: ItemState, actor: str = "alice") -> RunChange:
    ref = locate(run, checklist_no, item_no)
    return set_item_state(run, ref.checklist.id, ref.item.id, state, actor_id=actor, at=LATER)


def ids_of(run: Run, checklist_no: int, item_no: int) -> tuple[str, str]:
    ref = locate(run, checklist_no, item_no)
    return ref.checklist.id, ref.item.id


# Building a run ---------------------------------------------------------------------------------


def test_checklists_are_copied_with_relative_due_dates_resolved_against_the_start() -> None:
    run = new_run()
    assert [c.title for c in run.checklists] == ["Triage", "Resolve"]
    assert at(run, 1, 1).due_at == T0 + timedelta(minutes=15)
    assert at(run, 1, 2).due_at is None
    assert at(run, 1, 1).command == "/zoom start"
    assert at(run, 2, 1).description == "Roll back if unsure."
    assert all(ref.item.state == ItemState.OPEN and ref.item.revision == 0 for ref in iter_items(run))


def test_role_assignees_resolve_to_owner_and_reporter() -> None:
    run = new_run()
    assert at(run, 1, 2).assignee_id == "bob"
    assert at(run, 1, 3).assignee_id == "alice"
    assert at(run, 1, 3).assignee_type == AssigneeType.OWNER
    assert at(run, 2, 2).assignee_id == "rita"
    assert at(run, 2, 1).assignee_id is None


def test_every_checklist_and_item_gets_a_distinct_id() -> None:
    run = new_run()
    all_ids = [c.id for c in run.checklists] + [ref.item.id for ref in iter_items(run)]
    assert len(all_ids) == len(set(all_ids)) == 7


def test_an_id_factory_that_repeats_itself_is_refused() -> None:
    with pytest.raises(ValueError, match="repeated"):
        new_run_checklists(PLAYBOOK_CHECKLISTS, T0, lambda: "same")


def test_starting_makes_reporter_and_owner_participants_and_followers() -> None:
    change = start_run(replace(new_run(), participant_ids=(), follower_ids=()), at=T0)
    assert change.run.participant_ids == ("rita", "alice")
    assert change.run.follower_ids == ("rita", "alice")
    (created,) = change.events
    assert created.type is TimelineEventType.RUN_CREATED
    assert render_summary(created, mention) == "@rita started “Database down”"


def test_items_built_from_stored_strings_hold_the_enum() -> None:
    assert RunItem(id="i", title="t", state="closed").state is ItemState.CLOSED  # type: ignore[arg-type]
    assert Run(**{**_run_fields(), "status": "finished"}).status is RunStatus.FINISHED  # type: ignore[arg-type]
    with pytest.raises(InvalidItemStateError, match="not a task state"):
        RunItem(id="i", title="t", state="done")  # type: ignore[arg-type]


def _run_fields() -> dict[str, object]:
    run = new_run()
    return {name: getattr(run, name) for name in Run.__dataclass_fields__}


# Item state -----------------------------------------------------------------------------------


def test_checking_an_item_sets_state_who_and_when_and_bumps_revisions() -> None:
    run = new_run()
    change = set_state(run, 1, 1, ItemState.CLOSED, actor="bob")
    item = at(change.run, 1, 1)
    assert (item.state, item.state_modified_by, item.state_modified_at) == (ItemState.CLOSED, "bob", LATER)
    assert item.revision == 1
    assert change.run.revision == run.revision + 1
    assert not change.already
    (recorded,) = change.events
    assert recorded.type is TimelineEventType.TASK_STATE_MODIFIED
    assert recorded.details["action"] == "check"
    assert render_summary(recorded, mention) == "@bob checked “Start bridge call”"
    # The original value is untouched.
    assert at(run, 1, 1).state == ItemState.OPEN


@pytest.mark.parametrize(
    ("start", "target", "action", "summary"),
    [
        (ItemState.OPEN, ItemState.CLOSED, "check", "@alice checked “Fix it”"),
        (ItemState.CLOSED, ItemState.OPEN, "uncheck", "@alice unchecked “Fix it”"),
        (ItemState.IN_PROGRESS, ItemState.OPEN, "uncheck", "@alice unchecked “Fix it”"),
        (ItemState.OPEN, ItemState.IN_PROGRESS, "start", "@alice started “Fix it”"),
        (ItemState.OPEN, ItemState.SKIPPED, "skip", "@alice skipped “Fix it”"),
        (ItemState.SKIPPED, ItemState.OPEN, "restore", "@alice restored “Fix it”"),
        (ItemState.SKIPPED, ItemState.CLOSED, "check", "@alice checked “Fix it”"),
    ],
)
def test_each_transition_is_recorded_with_its_action(
    start: ItemState, target: ItemState, action: str, summary: str
) -> None:
    run = new_run()
    if start != ItemState.OPEN:
        run = set_state(run, 2, 1, start).run
    change = set_state(run, 2, 1, target)
    assert at(change.run, 2, 1).state == target
    (recorded,) = change.events
    assert (recorded.details["action"], recorded.details["previous_state"]) == (action, start.value)
    assert render_summary(recorded, mention) == summary


def test_setting_the_current_state_again_changes_nothing() -> None:
    run = set_state(new_run(), 1, 1, ItemState.CLOSED).run
    again = set_state(run, 1, 1, ItemState.CLOSED)
    assert again.already
    assert again.run is run
    assert again.events == ()


def test_a_state_given_as_text_is_parsed_and_nonsense_refused() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 1)
    change = set_item_state(run, checklist_id, item_id, "closed", actor_id="a", at=LATER)  # type: ignore[arg-type]
    assert at(change.run, 1, 1).state is ItemState.CLOSED
    assert ItemState.parse("open") is ItemState.parse("") is ItemState.OPEN
    with pytest.raises(InvalidItemStateError) as raised:
        set_item_state(run, checklist_id, item_id, "done", actor_id="a", at=LATER)  # type: ignore[arg-type]
    assert raised.value.message == "“done” is not a task state; use open, in_progress, closed or skipped."


def test_an_unknown_item_is_reported_kindly() -> None:
    with pytest.raises(NoSuchItemError, match="no longer in this run"):
        set_item_state(new_run(), "nope", "nope", ItemState.CLOSED, actor_id="a", at=LATER)


def test_skip_and_restore() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 2)
    skipped = skip_item(run, checklist_id, item_id, actor_id="a", at=LATER).run
    assert at(skipped, 1, 2).state == ItemState.SKIPPED
    restored = restore_item(skipped, checklist_id, item_id, actor_id="a", at=LATER)
    assert at(restored.run, 1, 2).state == ItemState.OPEN
    assert restored.events[0].details["action"] == "restore"
    assert restore_item(restored.run, checklist_id, item_id, actor_id="a", at=LATER).already


# Clicks: optimistic concurrency ------------------------------------------------------------------


def click(run: Run, target: ItemState, signed_revision: int, actor: str = "alice") -> RunChange:
    checklist_id, item_id = ids_of(run, 1, 1)
    return apply_click(run, checklist_id, item_id, target, signed_revision, actor_id=actor, at=LATER)


def test_a_fresh_click_applies() -> None:
    change = click(new_run(), ItemState.CLOSED, 0)
    assert at(change.run, 1, 1).state == ItemState.CLOSED


def test_a_double_click_is_already_done_and_never_flips_back() -> None:
    first = click(new_run(), ItemState.CLOSED, 0)
    second = click(first.run, ItemState.CLOSED, 0)
    assert second.already
    assert second.run is first.run


def test_a_replayed_click_after_someone_else_changed_the_item_is_refused() -> None:
    checked = click(new_run(), ItemState.CLOSED, 0).run
    unchecked = set_state(checked, 1, 1, ItemState.OPEN, actor="bob").run
    with pytest.raises(StaleClickError) as raised:
        click(unchecked, ItemState.CLOSED, 0)
    assert "changed since this message was posted" in raised.value.message
    assert isinstance(raised.value, DomainError)


def test_a_click_made_for_the_current_revision_can_undo() -> None:
    checked = click(new_run(), ItemState.CLOSED, 0).run
    reopened = click(checked, ItemState.OPEN, at(checked, 1, 1).revision)
    assert at(reopened.run, 1, 1).state == ItemState.OPEN


@given(
    st.lists(st.sampled_from(list(ItemState)), max_size=8),
    st.sampled_from(list(ItemState)),
    st.integers(min_value=0, max_value=8),
)
def test_a_click_either_reaches_its_target_or_changes_nothing(
    history: list[ItemState], target: ItemState, signed_revision: int
) -> None:
    run = new_run()
    for state in history:
        run = set_state(run, 1, 1, state).run
    before = at(run, 1, 1)
    assert before.revision == sum(1 for a, b in itertools.pairwise([ItemState.OPEN, *history]) if a != b)
    try:
        after = at(click(run, target, signed_revision).run, 1, 1)
    except StaleClickError:
        assert signed_revision != before.revision
        assert before.state != target
    else:
        assert after.state == target
        assert after.revision == before.revision + (before.state != target)


# Addressing by number ---------------------------------------------------------------------------


def test_locate_uses_one_based_numbers() -> None:
    ref = locate(new_run(), 2, 1)
    assert (ref.checklist_no, ref.item_no, ref.checklist.title, ref.item.title) == (2, 1, "Resolve", "Fix it")


@pytest.mark.parametrize(
    ("checklist_no", "item_no", "message"),
    [
        (3, 1, "There is no checklist 3; this run has 2."),
        (0, 1, "Checklist numbers start at 1; this run has 2 checklists."),
        (1, 7, "Checklist 1 (“Triage”) has no task 7; it has 3."),
        (2, 0, "Task numbers start at 1; Checklist 2 (“Resolve”) has 2 tasks."),
    ],
)
def test_locate_explains_numbers_that_miss(checklist_no: int, item_no: int, message: str) -> None:
    with pytest.raises(DomainError) as raised:
        locate(new_run(), checklist_no, item_no)
    assert raised.value.message == message


def test_locate_in_a_run_without_checklists_or_tasks() -> None:
    with pytest.raises(NoSuchChecklistError, match=r"This run has no checklists\."):
        locate(new_run(()), 1, 1)
    with pytest.raises(NoSuchItemError, match=r"Checklist 1 \(“Empty”\) has no tasks."):
        locate(new_run((ChecklistTemplate(title="Empty"),)), 1, 1)


# Queries ----------------------------------------------------------------------------------------


def test_progress_leaves_skipped_tasks_out_of_done_and_out_of_the_total() -> None:
    run = new_run()
    run = set_state(run, 1, 1, ItemState.CLOSED).run
    run = set_state(run, 1, 2, ItemState.SKIPPED).run
    run = set_state(run, 1, 3, ItemState.IN_PROGRESS).run
    counted = progress(run)
    assert (counted.done, counted.total, counted.outstanding, counted.in_progress) == (1, 4, 3, 1)
    assert (counted.skipped, counted.all) == (1, 5)
    assert counted.percent == 25


def test_a_skipped_task_is_neither_done_nor_outstanding() -> None:
    assert [state for state in ItemState if state.is_done] == [ItemState.CLOSED]
    assert [state for state in ItemState if state.is_outstanding] == [ItemState.OPEN, ItemState.IN_PROGRESS]
    run = set_state(new_run(), 1, 1, ItemState.SKIPPED).run
    assert progress(run).done == 0


def test_progress_of_a_run_without_tasks_is_zero_of_zero() -> None:
    counted = progress(new_run(()))
    assert (counted.done, counted.total, counted.percent) == (0, 0, 0)


def test_overdue_items_are_outstanding_items_past_their_due_time() -> None:
    run = new_run()
    due = T0 + timedelta(minutes=15)
    assert overdue_items(run, due - timedelta(seconds=1)) == ()
    (late,) = overdue_items(run, due)
    assert (late.checklist_no, late.item_no, late.item.title) == (1, 1, "Start bridge call")
    assert overdue_items(set_state(run, 1, 1, ItemState.CLOSED).run, due + timedelta(hours=1)) == ()
    finished = finish_run(run, actor_id="alice", at=LATER, confirmed=True).run
    assert overdue_items(finished, due + timedelta(hours=1)) == ()


def test_open_items_for_a_user() -> None:
    run = new_run()
    assert [ref.item.title for ref in open_items_for(run, "alice")] == ["Write first update"]
    assert [ref.item.title for ref in open_items_for(run, "bob")] == ["Page on-call"]
    assert open_items_for(set_state(run, 1, 2, ItemState.CLOSED).run, "bob") == ()
    assert open_items_for(run, "") == ()


# Item details -----------------------------------------------------------------------------------


def test_assigning_unassigning_and_reassigning() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 2, 1)
    assigned = assign_item(run, checklist_id, item_id, "carol", actor_id="alice", at=LATER)
    assert at(assigned.run, 2, 1).assignee_id == "carol"
    assert render_summary(assigned.events[0], mention) == "@alice assigned “Fix it” to @carol"
    moved = assign_item(assigned.run, checklist_id, item_id, "dave", actor_id="alice", at=LATER)
    assert render_summary(moved.events[0], mention) == "@alice reassigned “Fix it” from @carol to @dave"
    cleared = assign_item(moved.run, checklist_id, item_id, "", actor_id="alice", at=LATER)
    assert at(cleared.run, 2, 1).assignee_id is None
    assert render_summary(cleared.events[0], mention) == "@alice unassigned @dave from “Fix it”"
    assert assign_item(cleared.run, checklist_id, item_id, None, actor_id="alice", at=LATER).already
    assert at(cleared.run, 2, 1).revision == 3


def test_assigning_a_role_item_to_someone_stops_it_following_the_owner() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 3)
    run = assign_item(run, checklist_id, item_id, "carol", actor_id="alice", at=LATER).run
    assert at(run, 1, 3).assignee_type == AssigneeType.SPECIFIC_USER
    run = change_owner(run, "dave", actor_id="alice", at=LATER).run
    assert at(run, 1, 3).assignee_id == "carol"


def test_due_dates_can_be_set_and_cleared() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 2, 1)
    due = T0 + timedelta(hours=2)
    change = set_item_due(run, checklist_id, item_id, due, actor_id="alice", at=LATER)
    assert at(change.run, 2, 1).due_at == due
    assert change.events[0].type is TimelineEventType.DUE_DATE_CHANGED
    assert set_item_due(change.run, checklist_id, item_id, due, actor_id="alice", at=LATER).already
    cleared = set_item_due(change.run, checklist_id, item_id, None, actor_id="alice", at=LATER)
    assert at(cleared.run, 2, 1).due_at is None


def test_renaming_an_item() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 2, 1)
    change = rename_item(run, checklist_id, item_id, "  Fix   the database ", actor_id="alice", at=LATER)
    assert at(change.run, 2, 1).title == "Fix the database"
    assert render_summary(change.events[0], mention) == "@alice renamed “Fix it” to “Fix the database”"
    assert rename_item(change.run, checklist_id, item_id, "Fix the database", actor_id="a", at=LATER).already
    with pytest.raises(InvalidChangeError, match=r"A task needs a title\."):
        rename_item(run, checklist_id, item_id, "   ", actor_id="alice", at=LATER)


def test_handing_over_a_command_records_a_copy_never_a_run() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 1)
    change = record_command_copied(run, checklist_id, item_id, actor_id="bob", at=LATER)
    assert at(change.run, 1, 1).command_last_run_at is None
    assert render_summary(change.events[0], mention) == "@bob copied `/zoom start`"
    checklist_id, item_id = ids_of(run, 2, 1)
    with pytest.raises(InvalidChangeError, match="has no slash command"):
        record_command_copied(run, checklist_id, item_id, actor_id="bob", at=LATER)


def test_an_older_ran_the_command_event_reads_as_a_copy() -> None:
    legacy = event(
        TimelineEventType.RAN_SLASH_COMMAND,
        LATER,
        "bob",
        "{actor} ran the slash command `{command}`",
        command="/page dba",
    )
    assert render_summary(legacy, mention) == "@bob copied `/page dba`"


# Adding and removing items ----------------------------------------------------------------------


def test_adding_an_item_appends_it() -> None:
    run = new_run()
    checklist_id = run.checklists[1].id
    change = add_item(run, checklist_id, " Write  postmortem ", item_id="new1", actor_id="bob", at=LATER)
    ref = locate(change.run, 2, 3)
    assert (ref.item.id, ref.item.title, ref.item.state) == ("new1", "Write postmortem", ItemState.OPEN)
    assert render_summary(change.events[0], mention) == "@bob added “Write postmortem” to “Resolve”"


def test_adding_an_item_refuses_bad_input() -> None:
    run = new_run()
    checklist_id = run.checklists[0].id
    with pytest.raises(InvalidChangeError, match="needs a title"):
        add_item(run, checklist_id, "\n\t ", item_id="new1", actor_id="bob", at=LATER)
    with pytest.raises(InvalidChangeError, match="at most 1024 characters"):
        add_item(run, checklist_id, "x" * 1025, item_id="new1", actor_id="bob", at=LATER)
    with pytest.raises(NoSuchChecklistError):
        add_item(run, "gone", "Title", item_id="new1", actor_id="bob", at=LATER)
    with pytest.raises(ValueError, match="fresh"):
        add_item(run, checklist_id, "Title", item_id=at(run, 1, 1).id, actor_id="bob", at=LATER)


def test_removing_an_item() -> None:
    run = new_run()
    checklist_id, item_id = ids_of(run, 1, 2)
    change = remove_item(run, checklist_id, item_id, actor_id="alice", at=LATER)
    assert [item.title for item in change.run.checklists[0].items] == [
        "Start bridge call",
        "Write first update",
    ]
    assert render_summary(change.events[0], mention) == "@alice removed “Page on-call” from “Triage”"
    with pytest.raises(NoSuchItemError):
        remove_item(change.run, checklist_id, item_id, actor_id="alice", at=LATER)


# People ---------------------------------------------------------------------------------------


def test_changing_the_owner_makes_them_a_participant_and_moves_owner_tasks() -> None:
    run = new_run()
    change = change_owner(run, "dave", actor_id="alice", at=LATER)
    assert change.run.owner_id == "dave"
    assert "dave" in change.run.participant_ids
    assert "dave" in change.run.follower_ids
    assert at(change.run, 1, 3).assignee_id == "dave"
    assert at(change.run, 2, 2).assignee_id == "rita"  # the creator's task stays put
    assert [e.type for e in change.events] == [
        TimelineEventType.PARTICIPANTS_CHANGED,
        TimelineEventType.ASSIGNEE_CHANGED,
        TimelineEventType.OWNER_CHANGED,
    ]
    assert render_summary(change.events[-1], mention) == "@alice changed the owner from @alice to @dave"


def test_changing_the_owner_to_the_owner_or_nobody() -> None:
    run = new_run()
    assert change_owner(run, "alice", actor_id="alice", at=LATER).already
    with pytest.raises(InvalidChangeError, match="who should own"):
        change_owner(run, "", actor_id="alice", at=LATER)


def test_joining_and_leaving_the_channel_makes_and_unmakes_a_participant() -> None:
    run = new_run()
    joined = domain_run.join_channel(run, "bob", at=LATER)
    assert joined.run.participant_ids[-1] == "bob"
    assert "bob" not in joined.run.follower_ids  # following stays each person's choice
    assert render_summary(joined.events[0], mention) == "@bob joined the channel"
    assert domain_run.join_channel(joined.run, "bob", at=LATER).already  # a replayed join

    left = domain_run.leave_channel(joined.run, "bob", at=LATER)
    assert "bob" not in left.run.participant_ids
    assert render_summary(left.events[0], mention) == "@bob left the channel"
    assert domain_run.leave_channel(left.run, "bob", at=LATER).already  # a replayed leave
    assert domain_run.leave_channel(run, "alice", at=LATER).already  # the owner stays


def test_adding_participants() -> None:
    run = new_run()
    change = add_participants(run, ["bob", "carol", "bob", "alice"], actor_id="alice", at=LATER)
    assert change.run.participant_ids == ("rita", "alice", "bob", "carol")
    assert {"bob", "carol"} <= set(change.run.follower_ids)
    (recorded,) = change.events
    assert recorded.type is TimelineEventType.PARTICIPANTS_CHANGED
    assert render_summary(recorded, mention) == "@alice added @bob, @carol to the run"
    assert add_participants(change.run, ["bob"], actor_id="alice", at=LATER).already


def test_joining_and_leaving_oneself() -> None:
    joined = add_participants(new_run(), ["zoe"], actor_id="zoe", at=LATER)
    assert joined.events[0].type is TimelineEventType.USER_JOINED_LEFT
    assert render_summary(joined.events[0], mention) == "@zoe joined the run"
    left = remove_participants(joined.run, ["zoe"], actor_id="zoe", at=LATER)
    assert "zoe" not in left.run.participant_ids
    assert "zoe" not in left.run.follower_ids
    assert render_summary(left.events[0], mention) == "@zoe left the run"


def test_removing_participants() -> None:
    run = add_participants(new_run(), ["bob", "carol"], actor_id="alice", at=LATER).run
    change = remove_participants(run, ["bob", "nobody-here"], actor_id="alice", at=LATER)
    assert change.run.participant_ids == ("rita", "alice", "carol")
    assert render_summary(change.events[0], mention) == "@alice removed @bob from the run"
    assert remove_participants(change.run, ["bob"], actor_id="alice", at=LATER).already
    with pytest.raises(InvalidChangeError, match="The owner can't leave the run"):
        remove_participants(change.run, ["alice"], actor_id="alice", at=LATER)


def test_following() -> None:
    run = new_run()
    followed = follow(run, "fred")
    assert followed.run.follower_ids[-1] == "fred"
    assert follow(followed.run, "fred").already
    assert "fred" not in unfollow(followed.run, "fred").run.follower_ids
    assert unfollow(run, "fred").already


# Finishing and restoring ------------------------------------------------------------------------


def test_finishing_with_outstanding_tasks_needs_confirmation() -> None:
    run = set_state(new_run(), 1, 1, ItemState.CLOSED).run
    with pytest.raises(FinishNeedsConfirmationError) as raised:
        finish_run(run, actor_id="alice", at=LATER)
    assert raised.value.outstanding == 4
    assert raised.value.message == (
        "There are **4 outstanding tasks**. "
        "Are you sure you want to finish *Database down* for all participants?"
    )
    change = finish_run(run, actor_id="alice", at=LATER, confirmed=True)
    assert change.run.status is RunStatus.FINISHED
    assert change.run.finished_at == LATER
    assert at(change.run, 1, 2).state == ItemState.OPEN  # outstanding tasks are left as they are
    assert change.events[0].type is TimelineEventType.RUN_FINISHED
    assert change.events[0].details["outstanding"] == 4


def test_one_outstanding_task_is_said_in_the_singular() -> None:
    run = new_run((ChecklistTemplate(title="Only", items=(ChecklistItemTemplate(title="One"),)),))
    with pytest.raises(FinishNeedsConfirmationError, match=r"There is \*\*1 outstanding task\*\*\."):
        finish_run(run, actor_id="alice", at=LATER)


def test_finishing_when_no_task_is_outstanding_needs_no_confirmation() -> None:
    # A skipped task is neither done nor outstanding: it is nothing to ask about.
    run = new_run((ChecklistTemplate(title="Only", items=(ChecklistItemTemplate(title="One"),)),))
    run = set_state(run, 1, 1, ItemState.SKIPPED).run
    assert finish_run(run, actor_id="alice", at=LATER).run.is_finished


def test_a_finished_run_refuses_changes_until_restored() -> None:
    finished = finish_run(new_run(), actor_id="alice", at=LATER, confirmed=True).run
    with pytest.raises(RunAlreadyFinishedError, match="already finished"):
        finish_run(finished, actor_id="alice", at=LATER, confirmed=True)
    with pytest.raises(RunFinishedError, match="Restore it before changing it"):
        set_state(finished, 1, 1, ItemState.CLOSED)
    with pytest.raises(RunFinishedError):
        change_owner(finished, "bob", actor_id="alice", at=LATER)
    with pytest.raises(RunFinishedError):
        add_participants(finished, ["bob"], actor_id="alice", at=LATER)
    # People may still join or leave a finished run themselves.
    assert "bob" in add_participants(finished, ["bob"], actor_id="bob", at=LATER).run.participant_ids

    restored = restore_run(finished, actor_id="alice", at=LATER)
    assert restored.run.status is RunStatus.IN_PROGRESS
    assert restored.run.finished_at is None
    assert restored.events[0].type is TimelineEventType.RUN_RESTORED
    assert at(set_state(restored.run, 1, 1, ItemState.CLOSED).run, 1, 1).state == ItemState.CLOSED
    with pytest.raises(RunNotFinishedError, match="nothing to restore"):
        restore_run(restored.run, actor_id="alice", at=LATER)


def test_every_change_bumps_the_run_revision_and_already_does_not() -> None:
    run = new_run()
    changed = set_state(run, 1, 1, ItemState.CLOSED).run
    changed = add_participants(changed, ["bob"], actor_id="alice", at=LATER).run
    changed = finish_run(changed, actor_id="alice", at=LATER, confirmed=True).run
    assert changed.revision == run.revision + 3
    assert follow(changed, "alice").run.revision == changed.revision


# Timeline events --------------------------------------------------------------------------------


def test_event_details_are_frozen() -> None:
    recorded = set_state(new_run(), 1, 1, ItemState.CLOSED).events[0]
    with pytest.raises(TypeError):
        recorded.details["action"] = "uncheck"  # type: ignore[index]


def test_summaries_name_people_at_render_time_and_survive_missing_details() -> None:
    owner_change = change_owner(new_run(), "dave", actor_id="alice", at=LATER).events[-1]
    assert (
        render_summary(owner_change, lambda user_id: user_id.upper())
        == "ALICE changed the owner from ALICE to DAVE"
    )
    bare = replace(owner_change, details={})
    assert render_summary(bare, mention) == "@alice changed the owner from nobody to nobody"
    anonymous = replace(owner_change, actor_id="")
    assert render_summary(anonymous, mention).startswith("nobody changed the owner")


def test_titles_with_braces_render_verbatim() -> None:
    run = new_run()
    checklist_id = run.checklists[0].id
    change = add_item(run, checklist_id, "Check {config} and <name>", item_id="n1", actor_id="bob", at=LATER)
    assert render_summary(change.events[0], mention) == "@bob added “Check {config} and <name>” to “Triage”"


def test_event_factories_for_other_services() -> None:
    posted = timeline.status_updated(LATER, "alice", post_id="p1")
    assert (posted.type, posted.details["post_id"]) == (TimelineEventType.STATUS_UPDATED, "p1")
    assert render_summary(posted, mention) == "@alice posted a status update"
    snoozed = timeline.status_update_snoozed(LATER, "a", until=LATER + timedelta(hours=1))
    assert snoozed.details["until"] == "2026-07-01T10:05:00+00:00"
