"""How the docs' console examples are read and compared (tests/support/console.py), on small pages.

tests/test_examples_in_docs.py runs the real pages (full tier); these check, in a second, that a page
that differs from what a command prints is caught, and one that agrees passes.
"""

from __future__ import annotations

import pytest

from tests.support.console import (
    ROOT,
    Command,
    NotInstalled,
    Story,
    difference,
    line_matches,
    lines_match,
    parse,
)

PAGE = '''# A page

```bash
pip install runner          # not a console block: not run
```

```console
$ runner run --model dynamic
run 1 completed · dynamic · sgd lr=0.0001 · cpu · final loss 0.191435 · 500 steps · 2,138.6 steps/s
$ runner ls
…
```

<!-- not run: a server that runs until Ctrl-C -->
```console
$ runner watch
Serving http://127.0.0.1:41235/  (Ctrl-C to stop)
```

<!-- numbers vary: a Ctrl-C lands at any step -->

```console
$ echo 925 steps
925 steps
```

```python
# tanh_plugin.py
print("a plugin file")
```

```python
report.gather(store)   # an API sketch: neither written nor run
```

<!-- run -->
```python
print("notebook")
```
'''


def test_a_page_is_read_into_the_blocks_a_story_runs():
    blocks = parse(PAGE, "page.md")
    assert [b.kind for b in blocks] == ["console", "console", "console", "file", "python"]
    first, server, varying, plugin, notebook = blocks
    assert first.where == "page.md:7"
    assert [(c.where, c.line) for c in first.commands] == [("page.md:8", "runner run --model dynamic"),
                                                           ("page.md:10", "runner ls")]
    assert first.commands[0].expected[0].startswith("run 1 completed") and first.commands[1].expected == ["…"]
    assert server.not_run == "a server that runs until Ctrl-C" and not first.not_run
    assert varying.numbers_vary == "a Ctrl-C lands at any step"  # a blank line between marker and block is allowed
    assert plugin.name == "tanh_plugin.py" and plugin.source.startswith("# tanh_plugin.py\n")
    assert notebook.source == 'print("notebook")\n'


def test_output_before_a_command_is_a_mistake_in_the_page():
    with pytest.raises(ValueError, match="page.md:2: output before any command"):
        parse("```console\nrun 1 completed\n$ runner ls\n```\n", "page.md")


LINE = "run 1 completed · dynamic · sgd lr=0.0001 · cpu · final loss 0.191435 · 500 steps · 2,138.6 steps/s"


@pytest.mark.parametrize("printed", [
    LINE,
    LINE.replace("2,138.6", "17.2"),  # a rate is masked
    LINE.replace("0.191435", "0.1929"),  # within 1%
    LINE.replace("· cpu ·", "·   cpu   ·"),  # spaces collapse
])
def test_lines_that_match(printed):
    assert line_matches(LINE, printed)


@pytest.mark.parametrize("printed", [
    LINE.replace("0.191435", "0.1950"),  # 1.9% off
    LINE.replace("run 1 ", "run 2 "),  # whole numbers exactly
    LINE.replace("500 steps", "501 steps"),
    LINE.replace("dynamic", "dynamo", 1),
    LINE.replace("completed", "diverged"),
    LINE + " · more",
])
def test_lines_that_differ(printed):
    assert not line_matches(LINE, printed)


def test_dates_pids_ports_versions_and_elapsed_are_masked():
    assert line_matches("1   -  dynamic  completed  2026-11-27 04:24:24", "1 - dynamic completed 2031-01-02 23:59:01")
    assert line_matches("  host        vm (pid 25180)", "  host vm (pid 7)")
    assert not line_matches("  host        vm (pid 25180)", "  host box (pid 7)")
    assert line_matches("Serving http://127.0.0.1:41235/", "Serving http://127.0.0.1:8080/")
    assert line_matches("  versions    python 3.11.7 · torch 2.13.0+cpu", "  versions    python 3.12.1 · torch 2.5.0")
    assert line_matches("1,0,620.6344604492188,0.005701344000044628", "1,0,620.6344604492188,3.2")
    assert not line_matches("1,0,620.6344604492188,0.0057", "1,0,640.1,0.0057")  # the loss is not masked


def test_numbers_written_in_every_form_the_pages_use():
    assert line_matches("final loss 6.65149e-07", "final loss 6.66e-07")
    assert not line_matches("final loss 6.65149e-07", "final loss 6.65149e-06")
    assert line_matches("interval −0.00643 to 0.0126", "interval −0.00644 to 0.0126")
    assert line_matches("bytes 2,434,440", "bytes 2,434,440") and not line_matches("bytes 2,434,440", "bytes 2,434,441")
    assert line_matches("x of shape (2000,)", "x of shape (2000,)") and not line_matches("(2000,)", "(2001,)")
    assert not line_matches("--checkpoint-every 300s", "--checkpoint-every 301s")  # a number glued to a unit is text
    assert line_matches("ID lr 1e-06", "ID lr 1e-06") and not line_matches("lr 1e-06", "lr 1e-05")


def test_an_ellipsis_stands_for_text_or_lines():
    assert line_matches("Error: unknown metric 'val_acuracy'…; the selected runs have: …",
                        "Error: unknown metric 'val_acuracy' (did you mean 'val_accuracy'?); the selected runs have: a, b")
    assert lines_match(["run 1", "  ...", "losses"], ["run 1", "  a", "  b", "losses"])
    assert lines_match(["run 1", "…", "losses"], ["run 1", "losses"])
    assert not lines_match(["run 1", "…", "losses"], ["run 1", "a"])
    assert not lines_match(["a"], ["a", "b"])  # nothing printed beyond the page
    assert not lines_match([], ["something"])  # a command the page shows silent must be


def test_numbers_vary_keeps_the_words():
    page = ["run 1 interrupted · final loss 0.318972 · 925 steps"]
    assert lines_match(page, ["run 1 interrupted · final loss 0.4 · 1210 steps"], vary=True)
    assert not lines_match(page, ["run 1 completed · final loss 0.4 · 1210 steps"], vary=True)


def test_a_difference_names_the_command_and_the_lines():
    command = Command("README.md:42", "runner ls", ["ID  NAME", "1   narrow"])
    assert difference(command, ["ID  NAME", "1   narrow"]) == ""
    message = difference(command, ["ID  NAME", "1   wide"])
    assert message.startswith("README.md:42: $ runner ls\n")
    assert "-1   narrow" in message and "+1   wide" in message and message.endswith("    1   wide")


def test_a_story_runs_commands_in_one_folder_keeps_exports_and_writes_files(tmp_path):
    page = ("```python\n# hello.py\nprint('hi from a file')\n```\n\n"
            "```console\n$ export GREETING=hello\n$ echo $GREETING > said.txt; cat said.txt\nhello\n"
            "$ python hello.py\nhi from a file\n$ echo oops >&2; exit 3\noops\n```\n")
    story = Story(tmp_path)
    ran = [(c.line, printed) for block in parse(page, "p.md") for c, printed in story.run(block)]
    assert ran == [("export GREETING=hello", []), ("echo $GREETING > said.txt; cat said.txt", ["hello"]),
                   ("python hello.py", ["hi from a file"]), ("echo oops >&2; exit 3", ["oops"])]
    assert (tmp_path / "said.txt").read_text() == "hello\n"


def test_a_python_block_that_fails_says_so(tmp_path):
    (block,) = parse("<!-- run -->\n```python\nprint('a')\nraise SystemExit(4)\n```\n", "p.md")
    ((_, printed),) = list(Story(tmp_path).run(block))
    assert printed == ["a", "(exit status 4)"]


def test_a_package_the_story_installs_must_be_installed_where_the_tests_run(tmp_path):
    (block,) = parse("```console\n$ pip install -e examples/nowhere\n```\n", "p.md")
    with pytest.raises(NotInstalled, match=r"p.md:2 needs examples/nowhere: pip install -e examples/nowhere"):
        list(Story(tmp_path).run(block))
    assert (ROOT / "examples" / "sine" / "pyproject.toml").exists()


def test_ctrl_c_reaches_the_command_once_its_run_has_stored_steps(tmp_path):
    (block,) = parse("```console\n$ runner run --model numpy --steps 100000 -q   # Ctrl-C after a while\n```\n", "p.md")
    ((_, printed),) = list(Story(tmp_path).run(block))
    assert printed[0].startswith("run 1 interrupted · numpy") and printed[1].startswith("Interrupted: ")


def test_runner_in_a_story_sees_only_the_plugins_the_story_installed(tmp_path):
    from tests.support.console import installed

    story = Story(tmp_path / "story")
    (before,) = parse("```console\n$ runner run --model sine_nn\n```\n", "p.md")
    ((_, printed),) = list(story.run(before))
    assert printed[0].startswith("Error: unknown model 'sine_nn'; choose from: autograd, dynamic, module")
    if not installed("runner-sine"):
        pytest.skip("the rest needs the sine example: pip install -e examples/sine")
    (after,) = parse("```console\n$ pip install -e examples/sine\n$ runner plugins | grep -c '^sine_nn '\n```\n", "p.md")
    assert [printed for _, printed in story.run(after)] == [[], ["1"]]
