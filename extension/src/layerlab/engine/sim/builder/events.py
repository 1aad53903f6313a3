"""What a build does, as events: the one record every builder's progress is made from.

The steps (:mod:`.steps`, :mod:`.run_step`) and the build's driver (:mod:`.classic`) say what
happens (a step begins, the cache answers, a container runs and prints, an image is committed)
without knowing how it is shown. :class:`ClassicStream` renders the events as Engine 20.10's
classic builder sends them: the daemon's ``stream`` messages, split where the daemon splits them
(measured with ``APIClient.build(decode=True)``); the docker CLI prints those as they come.
BuildKit's solve status is made from the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class StepStarted:
    number: int  # counting every instruction of the Dockerfile, from 1
    total: int
    instruction: str  # as written in the Dockerfile


@dataclass(frozen=True)
class TriggersStarted:
    """The base image's ONBUILD triggers run before the FROM step ends."""

    count: int


@dataclass(frozen=True)
class CacheUsed:
    """The step's image came from the build cache."""


@dataclass(frozen=True)
class ContainerStarted:
    """A container over the stage's image runs the step (RUN) or records it (the others)."""

    container_id: str


@dataclass(frozen=True)
class Output:
    stream: int  # 1 for stdout, 2 for stderr
    text: str


@dataclass(frozen=True)
class ContainerRemoved:
    container_id: str


@dataclass(frozen=True)
class StepDone:
    image_id: str


@dataclass(frozen=True)
class StageDone:
    image_id: str


@dataclass(frozen=True)
class Notice:
    """A line for the learner that is no step's: a parser warning, unused build args."""

    text: str


@dataclass(frozen=True)
class Pulled:
    """A base image was pulled for a FROM: the pull's own progress messages."""

    messages: list[Json]


@dataclass(frozen=True)
class Failed:
    message: str
    code: int | None = None  # a RUN's exit code


@dataclass(frozen=True)
class Built:
    image_id: str
    tags: list[str]  # as the learner sees them (``familiar`` names)


Event = (
    StepStarted | TriggersStarted | CacheUsed | ContainerStarted | Output | ContainerRemoved
    | StepDone | StageDone | Notice | Pulled | Failed | Built
)  # fmt: skip

# How the classic builder marks a RUN's stderr in its stream (the CLI passes it to the terminal).
STDERR_START, STDERR_END = "\x1b[91m", "\x1b[0m"


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


@dataclass
class ClassicStream:
    """The classic builder's messages, made from a build's events as they happen."""

    messages: list[Json] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        say = self._say
        match event:
            case StepStarted(number, total, instruction):
                say(f"Step {number}/{total} : {instruction}")
                say("\n")
            case TriggersStarted(count):
                say(f"# Executing {count} build trigger")
                if count > 1:
                    say("s")
                say("\n")
            case CacheUsed():
                say(" ---> Using cache\n")
            case ContainerStarted(container_id):
                say(f" ---> Running in {container_id[:12]}\n")
            case Output(stream, text):
                say(f"{STDERR_START}{text}{STDERR_END}" if stream == 2 else text)
            case ContainerRemoved(container_id):
                say(f"Removing intermediate container {container_id[:12]}\n")
            case StepDone(image_id):
                say(f" ---> {short_id(image_id)}\n")
            case StageDone(image_id):
                self.messages.append({"aux": {"ID": image_id}})
            case Notice(text):
                say(text)
            case Pulled(messages):
                self.messages.extend(messages)
            case Failed(message, code):
                detail: Json = (
                    {"code": code, "message": message} if code is not None else {"message": message}
                )
                self.messages.append({"errorDetail": detail, "error": message})
            case Built(image_id, tags):
                say(f"Successfully built {short_id(image_id)}\n")
                for tag in tags:
                    say(f"Successfully tagged {tag}\n")

    def _say(self, text: str) -> None:
        self.messages.append({"stream": text})
