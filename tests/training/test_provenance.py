"""Which packages a run trained with (issue 19 part 6): distribution, version and commit, read without running
git where the checkout's files tell it, and never a reason for a run to fail."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from runner.training.provenance import changes, describe, distribution_entry, git_head

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def installed(site: Path, name: str, direct_url: dict | None) -> None:
    """A distribution ``name`` 1.0 in ``site``, as pip leaves it (with its PEP 610 record if given)."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))


def test_a_package_installed_from_git_records_its_commit(tmp_path, monkeypatch):
    installed(tmp_path, "from-git", {"url": "https://example.org/p.git", "vcs_info": {"vcs": "git", "commit_id": SHA}})
    installed(tmp_path, "from-index", None)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert distribution_entry("from-git") == {"version": "1.0", "commit": SHA}
    assert distribution_entry("from-index") == {"version": "1.0", "commit": None}
    assert distribution_entry("not-installed-anywhere") == {"version": None, "commit": None}


def test_an_editable_install_records_its_checkout_s_head(tmp_path, monkeypatch):
    source = tmp_path / "src"
    (source / ".git" / "refs" / "heads").mkdir(parents=True)
    (source / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (source / ".git" / "refs" / "heads" / "main").write_text(SHA + "\n")
    installed(tmp_path / "site", "editable", {"url": source.as_uri(), "dir_info": {"editable": True}})
    installed(tmp_path / "site", "copied", {"url": source.as_uri(), "dir_info": {}})  # a copy: built from what?
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert distribution_entry("editable") == {"version": "1.0", "commit": SHA}
    assert distribution_entry("copied")["commit"] is None


def test_head_is_read_from_packed_refs_a_detached_head_and_a_worktree(tmp_path):
    main = tmp_path / "main"
    (main / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (main / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (main / ".git" / "packed-refs").write_text(f"# pack-refs with: peeled\n{SHA} refs/heads/main\n")
    (main / "pkg").mkdir()
    assert git_head(main / "pkg") == SHA  # from a folder inside the checkout
    wt_git = main / ".git" / "worktrees" / "wt"
    (wt_git / "HEAD").write_text(OTHER + "\n")  # detached
    (wt_git / "commondir").write_text("../..\n")
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {wt_git}\n")
    assert git_head(tmp_path / "wt") == OTHER


def test_no_checkout_or_an_unreadable_one_is_no_commit_and_no_error(tmp_path):
    assert git_head(tmp_path) is None or len(git_head(tmp_path) or "") == 40  # tmp may sit inside a checkout
    broken = tmp_path / "broken"
    (broken / ".git").mkdir(parents=True)  # no HEAD file: git itself cannot tell either
    assert git_head(broken) is None


def test_head_agrees_with_git_on_this_checkout():
    root = Path(__file__).resolve().parents[2]
    try:
        expected = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pytest.skip("no git here")
    if not expected:
        pytest.skip("not a git checkout")
    assert git_head(root) == expected


def test_changes_say_what_differs_in_one_phrase_each():
    before = {"python": {"version": "3.11.7", "commit": None}, "runner": {"version": "0.1.0", "commit": SHA}}
    after = {"python": {"version": "3.11.7", "commit": None}, "runner": {"version": "0.1.0", "commit": OTHER},
             "runner-lion": {"version": "0.2.0", "commit": None}}
    assert changes(before, after) == ["runner 0.1.0 (0123456) -> 0.1.0 (fedcba9)", "runner-lion none -> 0.2.0"]
    assert changes(after, after) == []
    old = {"python": {"version": "3.10.1", "commit": None}}  # a run from before 0010: no packages recorded
    assert changes(old, after) == ["python 3.10.1 -> 3.11.7"]
    assert describe(None) == "none"
