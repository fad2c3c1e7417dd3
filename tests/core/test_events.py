"""``publish_early``: a step's events before its last write, only where every in-transaction subscriber may have
them then; otherwise nothing is published and the caller publishes each at its moment."""

from __future__ import annotations

import pytest
from django.db import transaction

from core import events
from core.events import EarlyWrite, Event, publish_early

pytestmark = pytest.mark.django_db

BOOKED = [Event(name="test.created", organization_id=1, subject_id=7), Event(name="test.scheduled", organization_id=1)]


@pytest.fixture
def subscribed():
    """Register handlers for the ``test.`` events for one test; yields the list each appends what it got to."""
    registered = []

    def add(**options):
        got: list[tuple[str, str]] = []

        def handler(event: Event) -> None:
            got.append(("one", event.name))

        def batch(many: list[Event]) -> None:
            got.extend(("batch", event.name) for event in many)

        if options.pop("with_batch", False):
            options["batch"] = batch
        events.subscribe("test.", **options)(handler)
        registered.append(handler)
        return got

    yield add
    for handler in registered:
        events.unsubscribe(handler)


def test_early_subscribers_get_the_events_at_once_and_the_others_after_the_commit(
    subscribed, django_capture_on_commit_callbacks
):
    notices = subscribed(during_transaction=True, early=True)
    outbox = subscribed(during_transaction=True, early=True, with_batch=True)
    later = subscribed()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert publish_early(BOOKED) is True
        assert notices == [("one", "test.created"), ("one", "test.scheduled")]
        assert outbox == [("batch", "test.created"), ("batch", "test.scheduled")]
        assert later == []

    assert later == [("one", "test.created"), ("one", "test.scheduled")]


def test_a_subscriber_that_would_write_nothing_is_skipped(subscribed):
    asked: list[list[str]] = []

    def writes_for(wanted: list[Event]) -> bool:
        asked.append([event.name for event in wanted])
        return False

    notices = subscribed(during_transaction=True, early=True)
    webhooks = subscribed(during_transaction=True, writes_for=writes_for)

    with transaction.atomic():
        assert publish_early(BOOKED) is True

    assert asked == [["test.created", "test.scheduled"]]  # one question for both
    assert webhooks == []
    assert notices == [("one", "test.created"), ("one", "test.scheduled")]


@pytest.mark.parametrize("options", [{}, {"writes_for": lambda wanted: True}])
def test_a_subscriber_that_must_see_the_change_complete_keeps_every_event_back(
    subscribed, django_capture_on_commit_callbacks, options
):
    notices = subscribed(during_transaction=True, early=True)
    later = subscribed()
    webhooks = subscribed(during_transaction=True, **options)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert publish_early(BOOKED) is False

    assert (notices, later, webhooks) == ([], [], [])


def test_with_writes_an_early_subscriber_hands_its_write_over_instead_of_running(
    subscribed, django_capture_on_commit_callbacks
):
    statement = ("SELECT %(number)s", {"number": 7})
    handed: list[list[tuple[int, ...]]] = []
    asked: list[list[str]] = []

    def early_write(wanted: list[Event]) -> EarlyWrite:
        asked.append([event.name for event in wanted])
        return EarlyWrite(statement=statement, after=handed.append)

    notices = subscribed(during_transaction=True, early=True, early_write=early_write)
    later = subscribed()
    writes: list[EarlyWrite] = []

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert publish_early(BOOKED, writes=writes) is True
        assert [write.statement for write in writes] == [statement]
        writes[0].after([(7,)])

    assert asked == [["test.created", "test.scheduled"]]  # one statement for both
    assert notices == []  # the handler itself did not run
    assert handed == [[(7,)]]
    assert later == [("one", "test.created"), ("one", "test.scheduled")]


def test_with_writes_an_early_subscriber_without_a_statement_keeps_every_event_back(
    subscribed, django_capture_on_commit_callbacks
):
    """The caller writes nothing before it runs the handed-over statements (its savepoint is one of them): a
    subscriber that would write at once cannot have the events then."""
    notices = subscribed(during_transaction=True, early=True)
    later = subscribed()
    writes: list[EarlyWrite] = []

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert publish_early(BOOKED, writes=writes) is False

    assert (notices, later, writes) == ([], [], [])


def test_a_read_ahead_answers_the_subscribers_question_for_its_organization_only(subscribed):
    """``early_reads`` gives the statement of each in-transaction subscriber's read ahead; handed back with its rows,
    ``publish_early`` answers from them without asking the subscriber. Events of another organization than the one
    read are asked as ever."""
    asked: list[str] = []
    answered: list[tuple[list[str], list[tuple[object, ...]]]] = []

    def writes_for(wanted: list[Event]) -> bool:
        asked.extend(event.name for event in wanted)
        return False

    def from_rows(wanted: list[Event], rows: list[tuple[object, ...]]) -> bool:
        answered.append(([event.name for event in wanted], rows))
        return bool(rows)

    read_ahead = events.ReadAhead(
        statement=lambda organization: ("SELECT %(org)s", {"org": organization}), writes_for=from_rows
    )
    notices = subscribed(during_transaction=True, early=True)
    webhooks = subscribed(during_transaction=True, writes_for=writes_for, read_ahead=read_ahead)

    def read(organization: int, rows: list[tuple[object, ...]]) -> events.EarlyReads:
        """``early_reads`` for the test's events, answered: ``rows`` for this subscriber, none for the others (the
        webhooks' subscriber reads for every event)."""
        reads = events.early_reads(organization, ["test.created", "test.scheduled"])
        mine = [subscription.read_ahead for subscription in reads.subscriptions].index(read_ahead)
        assert reads.statements[mine] == ("SELECT %(org)s", {"org": organization})
        return reads.answered([rows if index == mine else [] for index in range(len(reads.statements))])

    with transaction.atomic():
        assert publish_early(BOOKED, read=read(1, [])) is True  # nothing to write for: the events go early
    assert (asked, answered) == ([], [(["test.created", "test.scheduled"], [])])
    assert webhooks == []
    assert notices == [("one", "test.created"), ("one", "test.scheduled")]

    with transaction.atomic():
        assert publish_early(BOOKED, read=read(1, [(1,)])) is False  # it would write: kept back
    other = [Event(name="test.created", organization_id=2, subject_id=8)]
    with transaction.atomic():
        assert publish_early(other, read=read(1, [(1,)])) is True  # not read for organization 2: asked
    assert asked == ["test.created"]


def test_an_after_commit_subscriber_with_a_batch_handler_gets_a_steps_events_in_one_call_after_the_commit(
    subscribed, django_capture_on_commit_callbacks
):
    """``publish_many``: one call of the batch handler, after the commit (provisioning sends one message for several
    reservations); none when the transaction rolls back; ``publish`` still hands each event to the handler."""
    later = subscribed(with_batch=True)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish_many("test.started", subjects=[(1, 7), (1, 8)])
        events.publish("test.ended", organization_id=1, subject_id=9)
        assert later == []

    assert later == [("batch", "test.started"), ("batch", "test.started"), ("one", "test.ended")]

    def rolled_back() -> None:
        with transaction.atomic():
            events.publish_many("test.started", subjects=[(1, 10)])
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        rolled_back()

    assert later == [("batch", "test.started"), ("batch", "test.started"), ("one", "test.ended")]
