"""The digits example's own tests (examples/digits/tests), collected as part of runner's suite."""

from tests.examples.collect import collect

collect("digits", "runner_digits", globals())
