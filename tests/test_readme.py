"""The README's promises that code can check: its plugin example runs as shown."""

import re
import subprocess

from tests.conftest import ROOT, runner_command, subprocess_env


def readme_plugin_example() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- readme-plugin-example -->\n```python\n(.*?)```", text, re.S)
    assert match, "the README lost its plugin example"
    return match.group(1)


def test_the_readme_plugin_example_trains(tmp_path, db_url):
    (tmp_path / "tanh_plugin.py").write_text(readme_plugin_example())
    env = subprocess_env(db_url)
    env["RUNNER_PLUGINS"] = "./tanh_plugin.py"
    result = subprocess.run(runner_command("run", "--model", "tanh", "--steps", "20", "--set", "d_in=30"),
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("run 1 completed · tanh · adam lr=0.001")
    listing = subprocess.run(runner_command("plugins"), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "./tanh_plugin.py  (local)" in listing.stdout and not listing.stderr


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text().split("\n## ")[0]
    assert 'pip install -e ".[dev]" && runner run --model dynamic' in head
    assert "\npytest" in head
