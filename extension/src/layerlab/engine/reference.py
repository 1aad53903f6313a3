"""Image reference grammar and normalisation, as docker's ``distribution/reference`` does it.

Facts come from distribution/reference v0.6.0 (vendored by docker CLI 28, which parses
references client-side before the daemon sees them) and opencontainers/go-digest:

- ``ParseNormalizedNamed``: a bare 64-hex string is refused; the first path component is a
  registry host only if it is ``localhost``, contains ``.`` or ``:``, or has upper case;
  ``index.docker.io`` becomes ``docker.io``; Docker Hub names without ``/`` get ``library/``.
- Upper case in the repository: ``invalid reference format: repository name (library/Foo)
  must be lowercase`` (the wording with the name in parentheses is the CLI 28 one; the
  daemon 20.10 vendored an older library that said ``repository name must be lowercase``).
- The 255-character limit applies to the path (without the domain).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from layerlab.engine.errors import InvalidArgument

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
PATH_MAX_LENGTH = 255

# The grammar of distribution/reference's regexp.go, rebuilt from its pieces.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"


def _grammar(host: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The whole-reference and name patterns for a registry host pattern."""
    domain_and_port = host + r"(?::[0-9]+)?"
    name = r"(?:" + domain_and_port + r"/)?" + _REMOTE_NAME
    # re.ASCII: Go's \w is [0-9A-Za-z_], never Unicode letters.
    reference = re.compile(
        r"(" + name + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?", re.ASCII
    )
    return reference, re.compile(r"(?:(" + domain_and_port + r")/)?(" + _REMOTE_NAME + r")")


_REFERENCE_RE, _ANCHORED_NAME_RE = _grammar(r"(?:" + _DOMAIN_NAME + r"|" + _IPV6 + r")")
# The grammar Engine 20.10's daemon vendors (docker/distribution before IPv6 hosts): a name
# such as `[::1]:5000/app` is no reference there.
_NO_IPV6_REFERENCE_RE, _NO_IPV6_NAME_RE = _grammar(r"(?:" + _DOMAIN_NAME + r")")
_TAG_RE = re.compile(_TAG, re.ASCII)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}")
# go-digest: the algorithms the CLI binary links in, and the shape of any digest string.
_DIGEST_SIZES = {"sha256": 64, "sha384": 96, "sha512": 128}
_GO_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_IPV6_HOSTS: ContextVar[bool] = ContextVar("reference_ipv6_hosts", default=True)


@contextmanager
def ipv6_hosts(allowed: bool) -> Iterator[None]:
    """Parse as a reference library that does (or does not) know IPv6 hosts, within."""
    token = _IPV6_HOSTS.set(allowed)
    try:
        yield
    finally:
        _IPV6_HOSTS.reset(token)


ERR_INVALID_FORMAT = "invalid reference format"
ERR_NAME_EMPTY = "repository name must have at least one component"
ERR_NAME_UPPERCASE = "repository name must be lowercase"
ERR_NAME_TOO_LONG = f"repository name must not be more than {PATH_MAX_LENGTH} characters"
ERR_TAG_INVALID = "invalid tag format"
ERR_DIGEST_FORMAT = "invalid checksum digest format"
ERR_DIGEST_LENGTH = "invalid checksum digest length"
ERR_DIGEST_UNSUPPORTED = "unsupported digest algorithm"


class InvalidReference(InvalidArgument):
    """A reference string docker refuses; the message is the Go error text."""


@dataclass(frozen=True)
class Reference:
    """A parsed, normalised image reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def repository(self) -> str:
        """The repository as a registry names it (the path, without the host)."""
        return self.path

    @property
    def familiar_name(self) -> str:
        """The short name docker prints: no ``docker.io/``, no ``library/`` for official images."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(OFFICIAL_REPO_PREFIX):
            rest = self.path[len(OFFICIAL_REPO_PREFIX) :]
            if "/" not in rest:
                return rest
        return self.path

    def familiar(self) -> str:
        """The familiar name with the tag and digest exactly as parsed."""
        return self.familiar_name + self._suffix()

    def with_default_tag(self) -> Reference:
        """Docker's ``TagNameOnly``: ``latest`` when there is neither tag nor digest."""
        if self.tag is None and self.digest is None:
            return replace(self, tag=DEFAULT_TAG)
        return self

    def with_tag(self, tag: str) -> Reference:
        """Docker's ``WithTag``: the same name with ``tag``, keeping any digest."""
        if not _TAG_RE.fullmatch(tag):
            raise InvalidReference(ERR_TAG_INVALID)
        return replace(self, tag=tag)

    def name_only(self) -> Reference:
        """Docker's ``TrimNamed``: the name without tag or digest."""
        return Reference(self.domain, self.path)

    def docker_ref(self) -> Reference:
        """Docker's ``ParseDockerRef`` shape: digested refs drop the tag, bare names get latest."""
        if self.digest is not None:
            return replace(self, tag=None)
        return self.with_default_tag()

    def _suffix(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return tag + digest

    def __str__(self) -> str:
        return self.name + self._suffix()


def is_full_image_id(s: str) -> bool:
    """True for a full image ID: 64 lowercase hex, bare or with the ``sha256:`` prefix."""
    hex_part = s[len("sha256:") :] if s.startswith("sha256:") else s
    return _IDENTIFIER_RE.fullmatch(hex_part) is not None


def validate_digest(digest: str) -> None:
    """go-digest's ``Validate``: raise with its message when ``digest`` is malformed."""
    algorithm, sep, encoded = digest.partition(":")
    if not algorithm or not sep or not encoded:
        raise InvalidReference(ERR_DIGEST_FORMAT)
    size = _DIGEST_SIZES.get(algorithm)
    if size is None:
        known_shape = _GO_DIGEST_RE.fullmatch(digest) is not None
        raise InvalidReference(ERR_DIGEST_UNSUPPORTED if known_shape else ERR_DIGEST_FORMAT)
    if len(encoded) != size:
        raise InvalidReference(ERR_DIGEST_LENGTH)
    if re.fullmatch(r"[a-f0-9]+", encoded) is None:
        raise InvalidReference(ERR_DIGEST_FORMAT)


def parse(s: str) -> Reference:
    """Docker's plain ``Parse``: no normalisation, so ``domain`` may be empty."""
    if s == "":
        raise InvalidReference(ERR_NAME_EMPTY)
    reference_re, name_re = (
        (_REFERENCE_RE, _ANCHORED_NAME_RE)
        if _IPV6_HOSTS.get()
        else (_NO_IPV6_REFERENCE_RE, _NO_IPV6_NAME_RE)
    )
    match = reference_re.fullmatch(s)
    if match is None:
        lower = s.lower()
        if lower != s and reference_re.fullmatch(lower) is not None:
            raise InvalidReference(ERR_NAME_UPPERCASE)
        raise InvalidReference(ERR_INVALID_FORMAT)
    name, tag, digest = match.groups()
    name_match = name_re.fullmatch(name)
    domain, path = (name_match.group(1) or "", name_match.group(2)) if name_match else ("", name)
    if len(path) > PATH_MAX_LENGTH:
        raise InvalidReference(ERR_NAME_TOO_LONG)
    if digest is not None:
        validate_digest(digest)
    return Reference(domain, path, tag, digest)


def split_docker_domain(name: str) -> tuple[str, str]:
    """Split ``name`` into registry host and remote name, applying Docker Hub defaults."""
    maybe_domain, slash, maybe_remote = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name
    if maybe_domain == "localhost" or any(c in maybe_domain for c in ".:"):
        domain, remote = maybe_domain, maybe_remote
    elif maybe_domain.lower() != maybe_domain:
        # Upper case is never valid in a path, so such a component must be a host.
        domain, remote = maybe_domain, maybe_remote
    else:
        domain, remote = DEFAULT_DOMAIN, name
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = OFFICIAL_REPO_PREFIX + remote
    return domain, remote


def parse_normalized(s: str) -> Reference:
    """Docker's ``ParseNormalizedNamed``: a familiar name to a fully qualified reference."""
    if _IDENTIFIER_RE.fullmatch(s):
        raise InvalidReference(
            f"invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
        )
    domain, remainder = split_docker_domain(s)
    # Like docker, cut at the first ':' only, so a digest part can end up in the message.
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(
            f"{ERR_INVALID_FORMAT}: repository name ({remote}) must be lowercase"
        )
    return parse(f"{domain}/{remainder}")


def parse_any(s: str) -> Reference | str:
    """Docker's ``ParseAnyReference``: an image ID or digest, else a normalised name.

    An ID (bare 64 hex, or a valid ``algorithm:hex`` digest) comes back as the digest string
    ``sha256:<hex>``; anything else is parsed by :func:`parse_normalized`.
    """
    if _IDENTIFIER_RE.fullmatch(s):
        return "sha256:" + s
    try:
        validate_digest(s)
    except InvalidReference:
        return parse_normalized(s)
    return s
