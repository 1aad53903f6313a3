"""Image reference parsing: cases taken from the facts of distribution/reference's test tables."""

from __future__ import annotations

import pytest

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.reference import (
    InvalidReference,
    Reference,
    ipv6_hosts,
    is_full_image_id,
    parse,
    parse_any,
    parse_normalized,
    split_docker_domain,
)

HEX64 = "f" * 64
DIGEST = "sha256:" + HEX64


@pytest.mark.parametrize(
    ("text", "domain", "path", "tag", "digest"),
    [
        ("test_com", "", "test_com", None, None),
        ("test.com:tag", "", "test.com", "tag", None),
        ("test.com:5000", "", "test.com", "5000", None),
        ("test.com/repo:tag", "test.com", "repo", "tag", None),
        ("test:5000/repo", "test:5000", "repo", None, None),
        ("test:5000/repo@" + DIGEST, "test:5000", "repo", None, DIGEST),
        ("test:5000/repo:tag@" + DIGEST, "test:5000", "repo", "tag", DIGEST),
        ("lowercase:Uppercase", "", "lowercase", "Uppercase", None),
        (
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
            "sub-dom1.foo.com",
            "bar/baz/quux",
            "some-long-tag",
            None,
        ),
        (
            "b.gcr.io/test.example.com/my-app:test.example.com",
            "b.gcr.io",
            "test.example.com/my-app",
            "test.example.com",
            None,
        ),
        ("foo/foo_bar.com:8080", "foo", "foo_bar.com", "8080", None),
        ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", None),
        ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", None),
        ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
        ("example.com/" + "a" * 255 + ":tag", "example.com", "a" * 255, "tag", None),
    ],
)
def test_parse_valid(text, domain, path, tag, digest):
    ref = parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "repository name must have at least one component"),
        (":justtag", "invalid reference format"),
        ("@" + DIGEST, "invalid reference format"),
        ("repo@sha256:" + "f" * 34, "invalid checksum digest length"),
        ("validname@invaliddigest:" + HEX64, "unsupported digest algorithm"),
        ("repo@sha256:" + "F" * 64, "invalid checksum digest format"),
        ("Uppercase:tag", "repository name must be lowercase"),
        ("test:5000/Uppercase/lowercase:tag", "repository name must be lowercase"),
        ("domain/" + "a" * 256 + ":tag", "repository name must not be more than 255 characters"),
        ("aa/asdf$$^/aa", "invalid reference format"),
        ("[2001:db8::1]", "invalid reference format"),
        ("[fe80::1%eth0]:5000/repo", "invalid reference format"),
        ("a:" + "b" * 129, "invalid reference format"),
    ],
)
def test_parse_invalid(text, message):
    with pytest.raises(InvalidReference) as info:
        parse(text)
    assert str(info.value) == message
    assert isinstance(info.value, InvalidArgument)
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("text", "full", "familiar"),
    [
        ("busybox", "docker.io/library/busybox", "busybox"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox", "busybox"),
        ("docker.io/busybox", "docker.io/library/busybox", "busybox"),
        ("index.docker.io/busybox", "docker.io/library/busybox", "busybox"),
        ("index.docker.io/docker/docker", "docker.io/docker/docker", "docker/docker"),
        ("dmcgowan/myapp", "docker.io/dmcgowan/myapp", "dmcgowan/myapp"),
        ("library/a/b", "docker.io/library/a/b", "library/a/b"),
        ("localhost/fooo", "localhost/fooo", "localhost/fooo"),
        ("localhost:5000/app:v1", "localhost:5000/app:v1", "localhost:5000/app:v1"),
        ("LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar"),
        ("127.0.0.1:5000/debian", "127.0.0.1:5000/debian", "127.0.0.1:5000/debian"),
        ("192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80"),
        ("alpine@" + DIGEST, "docker.io/library/alpine@" + DIGEST, "alpine@" + DIGEST),
        (
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        ),
    ],
)
def test_parse_normalized(text, full, familiar):
    ref = parse_normalized(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


def test_reference_parts_and_names():
    ref = parse_normalized("localhost:5000/team/app:v2")
    assert ref == Reference("localhost:5000", "team/app", "v2", None)
    assert ref.name == "localhost:5000/team/app"
    assert ref.repository == "team/app"
    assert ref.familiar_name == "localhost:5000/team/app"
    hub = parse_normalized("alpine")
    assert hub.name == "docker.io/library/alpine"
    assert hub.repository == "library/alpine"
    assert hub.familiar_name == "alpine"


def test_default_tag_only_without_tag_or_digest():
    assert str(parse_normalized("alpine").with_default_tag()) == "docker.io/library/alpine:latest"
    assert parse_normalized("alpine:3").with_default_tag().tag == "3"
    digested = parse_normalized("alpine@" + DIGEST).with_default_tag()
    assert digested.tag is None


def test_docker_ref_drops_tag_when_digested():
    both = parse_normalized("busybox:latest@" + DIGEST)
    assert both.tag == "latest"
    assert str(both.docker_ref()) == "docker.io/library/busybox@" + DIGEST
    assert str(parse_normalized("busybox").docker_ref()) == "docker.io/library/busybox:latest"


def test_with_tag_validates():
    ref = parse_normalized("app")
    assert ref.with_tag("v1").familiar() == "app:v1"
    with pytest.raises(InvalidReference, match=r"^invalid tag format$"):
        ref.with_tag("-bad")
    assert parse_normalized("app:v1").name_only().familiar() == "app"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mybox", "invalid reference format: repository name (library/Mybox) must be lowercase"),
        (
            "docker/Docker",
            "invalid reference format: repository name (docker/Docker) must be lowercase",
        ),
        (
            "docker.io/docker/Docker",
            "invalid reference format: repository name (docker/Docker) must be lowercase",
        ),
        (HEX64, f"invalid repository name ({HEX64}), cannot specify 64-byte hexadecimal strings"),
        ("https://github.com/docker/docker", "invalid reference format"),
        ("-docker", "invalid reference format"),
        ("docker///docker", "invalid reference format"),
        ("docker-/docker", "invalid reference format"),
        ("____/____", "invalid reference format"),
        ("dock..er/docker", "invalid reference format"),
        ("docker/", "invalid reference format"),
        ("fc00::1:5000/debian", "invalid reference format"),
        ("[fc00::1]:5000", "invalid reference format"),
        ("a" * 256, "repository name must not be more than 255 characters"),
    ],
)
def test_parse_normalized_invalid(text, message):
    with pytest.raises(InvalidReference) as info:
        parse_normalized(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "name",
    [
        "docker-rules/docker",
        "docker---rules/docker",
        "d/docker",
        "jess/t",
        "dock__er/docker",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "Docker/docker",
    ],
)
def test_valid_remote_names(name):
    assert parse_normalized(name).path.endswith(name.split("/")[-1])


def test_uppercase_first_component_is_a_domain():
    assert split_docker_domain("Docker/docker") == ("Docker", "docker")
    assert split_docker_domain("docker/docker") == ("docker.io", "docker/docker")
    assert split_docker_domain("ubuntu") == ("docker.io", "library/ubuntu")
    assert split_docker_domain("localhost/x") == ("localhost", "x")


def test_parse_any():
    assert parse_any(HEX64) == DIGEST
    assert parse_any(DIGEST) == DIGEST
    ref = parse_any("busybox")
    assert isinstance(ref, Reference) and str(ref) == "docker.io/library/busybox"
    # A short "digest" is not one: it parses as a name with a tag, as docker does.
    odd = parse_any("sha256:abc")
    assert isinstance(odd, Reference) and (odd.path, odd.tag) == ("library/sha256", "abc")


def test_is_full_image_id():
    assert is_full_image_id(HEX64)
    assert is_full_image_id(DIGEST)
    assert not is_full_image_id(HEX64[:12])
    assert not is_full_image_id("F" * 64)
    assert not is_full_image_id("busybox")


def test_engine_20_10_reads_no_ipv6_registry_host() -> None:
    """The CLI's library reads `[::1]:5000/app`; Engine 20.10's daemon vendors one that does not
    (measured: every such name is "invalid reference format" there)."""
    assert parse_normalized("[::1]:5000/app:1").domain == "[::1]:5000"
    with ipv6_hosts(False):
        with pytest.raises(InvalidReference, match=r"^invalid reference format$"):
            parse_normalized("[::1]:5000/app:1")
        assert parse_normalized("127.0.0.1:5000/app:1").domain == "127.0.0.1:5000"
    assert parse_normalized("[::1]:5000/app").path == "app"
