""".dockerignore reading and matching; match cases are facts from moby/patternmatcher's tests."""

from __future__ import annotations

import pytest

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.sim.builder.dockerignore import (
    DockerIgnore,
    DockerIgnoreError,
    go_clean,
    read_patterns,
)

WHEEL = "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("**", "file", True),
        ("**/", "file", True),
        ("**", "dir/file", True),
        ("**/**", "dir/file", True),
        ("dir/**", "dir/file", True),
        ("dir/**", "dir/dir2/file", True),
        ("**/dir", "dir", True),
        ("**/dir", "dir/file", True),
        ("**/dir2/*", "dir/dir2/file", True),
        ("**/dir2/**", "dir/dir2/dir3/file", True),
        ("**file", "file", True),
        ("**file", "dir/dir/file", True),
        ("**/file", "dir/dir/file", True),
        ("**/file*", "dir/dir/file.txt", True),
        ("**/file*txt", "dir/dir/file.txt", True),
        ("**/**/*.txt", "dir/dir/file.txt", True),
        ("**/**/*.txt2", "dir/dir/file.txt", False),
        ("**/*.txt", "file.txt", True),
        ("a**/*.txt", "a/dir/dir/file.txt", True),
        ("a/*.txt", "a/dir/file.txt", False),
        ("a/*.txt", "a/file.txt", True),
        ("a/*.txt**", "a/file.txt", True),
        ("a[b-d]e", "ae", False),
        ("a[b-d]e", "ace", True),
        ("a[b-d]e", "aae", False),
        ("a[^b-d]e", "aze", True),
        (".*", ".foo", True),
        (".*", "foo", False),
        ("abc.def", "abcdef", False),
        ("abc.def", "abc.def", True),
        ("abc?def", "abcZdef", True),
        ("abc?def", "abcdef", False),
        ("abc?def", "abc/def", False),
        ("a\\\\", "a\\", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("**/foo/bar", "foo/bar", True),
        ("**/foo/bar", "dir/dir2/foo/bar", True),
        ("abc/**", "abc", False),
        ("abc/**", "abc/def/ghi", True),
        ("**/.foo", ".foo", True),
        ("**/.foo", "bar.foo", False),
        ("a(b)c/def", "a(b)c/def", True),
        ("a(b)c/def", "a(b)c/xyz", False),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", True),
        ("dist/*.whl", WHEEL, True),
        ("*.go", "pkg/main.go", False),
        ("*", "fileutils.go", True),
        ("docs", "docs/README.md", True),
        ("/secret", "secret/key", True),
    ],
)
def test_single_pattern(pattern, path, excluded):
    assert DockerIgnore.from_text(pattern).excludes(path) is excluded


@pytest.mark.parametrize(
    ("text", "path", "excluded"),
    [
        ("**\n!util/docker/web", "util/docker/web/foo", False),
        ("**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", True),
        ("**\n!" + WHEEL, WHEEL, False),
        ("**\n!dist/*.whl", WHEEL, False),
        ("!fileutils.go\n*.go", "fileutils.go", True),
        ("*.go\n!fileutils.go", "fileutils.go", False),
        ("docs\n!docs/README.md", "docs/README.md", False),
        ("docs/\n!docs/README.md", "docs/README.md", False),
        ("docs/*\n!docs/README.md", "docs/README.md", False),
        # The excluded directory itself is not sent, even when walked for an exception.
        ("docs\n!docs/README.md", "docs", True),
        ("docs\n!docs/README.md", "docs/other.md", True),
        # An exception that does not start with the directory cannot rescue its files.
        ("docs\n!**/*.md", "docs/README.md", True),
        ("*.md\n!**/*.md", "docs/README.md", False),
    ],
)
def test_exceptions_last_match_wins(text, path, excluded):
    assert DockerIgnore.from_text(text).excludes(path) is excluded


def test_reading_rules():
    text = "\ufeff# comment\n\n  *.log  \n  # not a comment\n!  /keep.log\n/abs/../b/\n./c\n/\n"
    assert read_patterns(text) == ["*.log", "# not a comment", "!keep.log", "b", "c", "/"]


def test_go_clean():
    assert go_clean("") == "."
    assert go_clean("a//b/./c/..") == "a/b"
    assert go_clean("//a") == "/a"
    assert go_clean("../a/../..") == "../.."
    assert go_clean("/../a") == "/a"


@pytest.mark.parametrize("pattern", ["[", "a[", "[]a]", "[a-]", "abc\\", "[^]"])
def test_malformed_patterns(pattern):
    with pytest.raises(DockerIgnoreError) as info:
        DockerIgnore.from_text(pattern)
    assert str(info.value) == "error checking context: syntax error in pattern"
    assert isinstance(info.value, InvalidArgument)


def test_single_exclamation_is_an_error():
    with pytest.raises(DockerIgnoreError, match='illegal exclusion pattern: "!"'):
        DockerIgnore.from_text("!")


def test_no_patterns_excludes_nothing():
    ignore = DockerIgnore.from_text("# only a comment\n")
    assert ignore.patterns == []
    assert not ignore.excludes("anything/at/all")


def test_filter_context_always_sends_dockerfile_and_dockerignore():
    ignore = DockerIgnore.from_text("*\n!app/keep.txt\n")
    paths = ["Dockerfile", ".dockerignore", "app/", "app/keep.txt", "app/drop.txt", "notes.md"]
    assert ignore.filter_context(paths) == ["Dockerfile", ".dockerignore", "app/keep.txt"]
    assert ignore.removed_by_daemon() == [".dockerignore", "Dockerfile"]


def test_filter_context_with_custom_dockerfile_in_excluded_dir():
    ignore = DockerIgnore.from_text("build\n")
    paths = ["build/Dockerfile.dev", "build/out.bin", "src/app.py", "Dockerfile"]
    kept = ignore.filter_context(paths, dockerfile="build/Dockerfile.dev")
    assert kept == ["build/Dockerfile.dev", "src/app.py", "Dockerfile"]
    assert ignore.removed_by_daemon("build/Dockerfile.dev") == ["build/Dockerfile.dev"]


def test_filter_context_without_ignore_keeps_all_and_daemon_removes_nothing():
    ignore = DockerIgnore.from_text("")
    paths = ["Dockerfile", "a/b/c.txt"]
    assert ignore.filter_context(paths) == paths
    assert ignore.removed_by_daemon() == []
