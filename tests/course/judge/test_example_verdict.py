"""The verdict on a test's visible example alone (course.judge.spec.example_verdict)."""

from course.judge.spec import Observed, Verdict, example_verdict
from course.judge.spec import TestCell as Cell


def _judge(observed):
    wrong = [i for i, seen in enumerate(observed) if seen.outcomes[0].get("returned") != 1]
    return Verdict.failed("t.wrong", f"call {wrong[0]} is wrong") if wrong else Verdict.ok("ok")


def _observed(*values):
    return [Observed([{"returned": v}], []) for v in values]


def test_the_example_is_judged_on_the_visible_calls_only():
    test = Cell("check_t", calls=(), judge=_judge, visible=2)
    assert example_verdict(test, _observed(1, 1, 5)) == Verdict.ok("ok")
    assert test.judge(_observed(1, 1, 5)) == Verdict.failed("t.wrong", "call 2 is wrong")
    assert example_verdict(test, _observed(1, 0, 1)) == Verdict.failed("t.wrong",
                                                                      "call 1 is wrong")


def test_a_judge_that_needs_every_call_gives_no_example():
    def needs_three(observed):
        return Verdict.ok(str(observed[2].outcomes))

    assert example_verdict(Cell("check_t", (), needs_three), _observed(1, 1, 1)) is None
