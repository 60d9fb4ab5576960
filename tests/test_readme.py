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


def test_the_set_up_block_installs_cpu_only_torch_first_on_a_line_of_its_own():
    text = (ROOT / "README.md").read_text()
    set_up = text.split("\n## Set-up\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", set_up, re.S)
    assert block, "the Set-up section lost its commands"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert commands[:2] == ["pip install torch --index-url https://download.pytorch.org/whl/cpu", 'pip install -e ".[dev]"']
    assert "pytest" in commands
    assert "with a GPU, skip the first line" in " ".join(set_up.split())
