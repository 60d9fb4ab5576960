"""The sine example's own tests (examples/sine/tests), collected as part of runner's suite."""

from tests.examples.collect import collect

collect("sine", "runner_sine", globals())
