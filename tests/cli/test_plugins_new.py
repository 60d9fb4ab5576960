"""runner plugins new: a package that installs, passes its own tests and trains, straight away."""

import importlib.metadata
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from runner.registry import PACKAGES_VARIABLE
from tests.conftest import runner_command, subprocess_env

NAME = "scaffold_e2e"  # unlikely to clash with anything installed


def test_new_writes_an_installable_package_for_each_kind(cli, tmp_path):
    for kind, files in [
        ("model", ["model.py"]),
        ("optimizer", ["numpy_rule.py", "torch_rule.py"]),
        ("dataset", []),
        ("schedule", []),
    ]:
        target = tmp_path / kind
        result = cli("plugins", "new", f"my_{kind}", str(target), "--kind", kind)
        assert result.output.startswith(f"Created the {kind} plugin 'my_{kind}' in {target}/")
        assert f"  pip install -e {target}" in result.output and f"  runner plugins check my_{kind}" in result.output
        written = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
        package = f"runner_my_{kind}"
        assert written == sorted(["README.md", "pyproject.toml", f"tests/test_my_{kind}.py", f"{package}/__init__.py",
                                  *[f"{package}/{f}" for f in files]])
        pyproject = (target / "pyproject.toml").read_text()
        assert f'[project.entry-points.runner]\nmy_{kind} = "{package}"' in pyproject
        assert f'name = "runner-my-{kind}"' in pyproject
        test = (target / f"tests/test_my_{kind}.py").read_text()
        assert f'@pytest.mark.parametrize("kind", ["{kind}"])' in test
        assert f'assert_conforms("my_{kind}", kind=kind)' in test
        for path in target.rglob("*.py"):
            compile(path.read_text(), str(path), "exec")  # every file is valid Python, placeholders filled


def test_new_writes_one_package_with_several_kinds(cli, tmp_path, monkeypatch):
    target = tmp_path / "lab"
    result = cli("plugins", "new", "lab_e2e", str(target), "--kind", "dataset,model,optimizer")
    assert result.output.startswith(f"Created the model, optimizer and dataset plugin 'lab_e2e' in {target}/")
    for kind in ("model", "optimizer", "dataset"):
        assert f"  runner plugins check lab_e2e --kind {kind}\n" in result.output
    assert "  runner run --model lab_e2e --optimizer lab_e2e --dataset lab_e2e --steps 100\n" in result.output
    package = "runner_lab_e2e"
    written = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert written == sorted(["README.md", "pyproject.toml", "tests/test_lab_e2e.py", f"{package}/__init__.py",
                              f"{package}/model.py", f"{package}/numpy_rule.py", f"{package}/torch_rule.py"])
    assert f'[project.entry-points.runner]\nlab_e2e = "{package}"' in (target / "pyproject.toml").read_text()
    test = (target / "tests/test_lab_e2e.py").read_text()
    assert '@pytest.mark.parametrize("kind", ["model", "optimizer", "dataset"])' in test

    from runner.registry import load_registry  # the one module registers all three, without importing torch

    monkeypatch.syspath_prepend(str(target))
    registry = load_registry(extra_modules=[package])
    assert registry.errors == []
    origins = {registry.table(kind)["lab_e2e"].origin.plugin for kind in ("model", "optimizer", "dataset")}
    assert origins == {package}
    assert registry.optimizer("lab_e2e").lr == 1e-3


@pytest.mark.slow
def test_a_package_of_several_kinds_passes_its_own_tests_and_the_check(tmp_path, db_url):
    """Loaded through RUNNER_PLUGINS rather than installed: what is tested is the generated code."""
    package = tmp_path / "lab"
    env_run = dict(cwd=tmp_path, capture_output=True, text=True, timeout=300)
    new = runner_command("plugins", "new", "lab_e2e", str(package), "--kind", "model,optimizer,dataset")
    created = subprocess.run(new, **env_run)
    assert created.returncode == 0, created.stderr
    env = {**subprocess_env(db_url), "RUNNER_PLUGINS": "runner_lab_e2e"}
    env["PYTHONPATH"] = os.pathsep.join([str(package), env["PYTHONPATH"]])
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            **{**env_run, "cwd": package, "env": env})
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 passed" in tested.stdout
    checked = subprocess.run(runner_command("plugins", "check", "lab_e2e", "--kind", "optimizer"), **env_run, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "optimizer 'lab_e2e': all checks passed" in checked.stdout
    run = subprocess.run(runner_command("run", "--model", "lab_e2e", "--optimizer", "lab_e2e", "--dataset", "lab_e2e",
                                        "--steps", "5", "-q"), **env_run, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("run 1 completed · lab_e2e · lab_e2e lr=0.001 · ")  # the optimizer's own lr


@pytest.mark.parametrize(
    "args, message",
    [
        (["plugins", "new", "Bad-Name"], "a plugin name is lower case letters, digits and underscores"),
        (["plugins", "new", "class"], "a plugin name is lower case letters"),
        (["plugins", "new", "dynamic"], "'dynamic' is already registered by an installed plugin"),
        (["plugins", "new", "fresh", "--kind", "loss"], "Invalid value for '--kind'"),
        (["plugins", "new", "fresh", "--kind", "model,loss"], "one or more of model, optimizer, dataset"),
    ],
)
def test_new_refuses_bad_names_in_one_line(cli, tmp_path, args, message):
    result = cli(*args, str(tmp_path / "out"), code=2)  # every bad argument is a usage error
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_new_never_writes_into_a_directory_with_files(cli, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = cli("plugins", "new", "fresh", str(tmp_path), code=2)
    assert "already exists and is not an empty directory" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def new_environment(where: Path) -> tuple[str, dict[str, str]]:
    """A virtual environment at ``where`` that sees this one's packages (runner, pytest, torch) but installs
    into its own site-packages, and the environment variables of a user's shell in it: every installed plugin
    package is loaded, none is hidden as runner's own tests hide them."""
    venv.create(where, system_site_packages=True, with_pip=False, symlinks=True)  # pip: the outer one's, via site
    env = {k: v for k, v in os.environ.items() if k not in (PACKAGES_VARIABLE, "RUNNER_PLUGINS")}
    env["PATH"] = os.pathsep.join([str(where / "bin"), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(where)
    return str(where / "bin" / "python"), env


@pytest.mark.slow
def test_scaffold_installs_passes_its_own_tests_and_trains(tmp_path, db_url):
    """The whole newcomer's path: new, pip install -e, pytest, runner run --model NAME; installed into a new
    environment under tmp_path, never into the one the tests run in."""
    package = tmp_path / "pkg"
    python, env = new_environment(tmp_path / "venv")
    env_run = dict(cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    created = subprocess.run([python, "-m", "runner", "plugins", "new", NAME, str(package)], **env_run)
    assert created.returncode == 0, created.stderr
    install = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(package)]
    installed = subprocess.run(install, **env_run)
    assert installed.returncode == 0, installed.stderr
    distribution = f"runner-{NAME.replace('_', '-')}"
    assert list((tmp_path / "venv").glob("lib/python*/site-packages/*scaffold_e2e*"))  # it went into the new one
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution(distribution)  # and not into the one running the tests

    tested = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], **{**env_run, "cwd": package})
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout

    run = subprocess.run([python, "-m", "runner", "run", "--model", NAME, "--steps", "5", "--db", db_url, "-q"], **env_run)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"run 1 completed · {NAME} · adam lr=0.001 · ")
    assert "5 steps" in run.stdout

    listed = subprocess.run([python, "-m", "runner", "plugins"], **env_run)
    assert f"{distribution} 0.1.0" in listed.stdout
    outside = subprocess.run(runner_command("plugins"), **{**env_run, "env": {**env, "PATH": os.environ["PATH"]}})
    assert outside.returncode == 0 and distribution not in outside.stdout  # this environment's python does not see it


def test_plugins_is_a_group_that_still_lists(cli):
    help_text = cli("plugins", "--help").output
    assert "runner plugins new NAME" in help_text and "runner plugins check NAME" in help_text
    assert "\ndynamic " in cli("plugins").output
    import json

    data = json.loads(cli("plugins", "--json").output)
    dynamic = next(m for m in data["models"] if m["name"] == "dynamic")
    assert dynamic["dataset"] == "random" and dynamic["shapes"] == ["n d_in", "n d_out"]
    assert "rmsprop" in {o["name"] for o in data["optimizers"]}
