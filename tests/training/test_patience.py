"""How long a run waits for a failing database, and how often it tries again (runner.training.patience)."""

import pytest

from runner.errors import StorageError, StorageUnavailable
from runner.training.patience import MAX_WAIT, Patience

FAULT = StorageUnavailable("x.db cannot grow: its disk is full (database or disk is full); free some space")


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_tries_again_after_doubling_waits_capped_and_never_past_the_deadline():
    clock = Clock()
    patience = Patience(60.0, clock)
    tries = []
    while True:
        if patience.ready():
            tries.append(clock.now - 100.0)
            try:
                patience.failed(FAULT)
            except StorageError:
                break
        clock.now += 0.125
    gaps = [b - a for a, b in zip(tries, tries[1:])]
    assert gaps[:4] == [0.25, 0.5, 1.0, 2.0]
    assert max(gaps) == MAX_WAIT and tries[-1] == 60.0  # a last try at the deadline itself
    assert len(tries) < 15


def test_a_success_forgets_the_fault():
    clock = Clock()
    patience = Patience(10.0, clock)
    patience.failed(FAULT)
    clock.now += 9.5
    patience.succeeded()
    assert patience.ready()
    patience.failed(FAULT)  # a new fault: its own 10 s
    clock.now += 9.9
    patience.failed(FAULT)
    clock.now += 0.1
    with pytest.raises(StorageError) as info:
        patience.failed(FAULT, "12 computed steps")
    assert not isinstance(info.value, StorageUnavailable)
    assert str(info.value) == ("the database failed for over 10 s (--db-deadline, 12 computed steps not stored): "
                               "x.db cannot grow: its disk is full (database or disk is full); free some space")


def test_call_retries_passing_faults_until_they_pass():
    answers = [FAULT, FAULT, "done"]

    def action():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert Patience(5.0).call(action) == "done" and not answers


def test_call_gives_up_at_the_deadline_and_raises_other_errors_at_once():
    with pytest.raises(StorageError, match=r"^the database failed for over 0.3 s \(--db-deadline\): x.db cannot grow"):
        Patience(0.3).call(lambda: (_ for _ in ()).throw(FAULT))
    calls = []

    def missing():
        calls.append(1)
        raise StorageError("no run 3")

    with pytest.raises(StorageError, match="no run 3"):
        Patience(5.0).call(missing)
    assert calls == [1]
