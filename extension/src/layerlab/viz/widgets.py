"""Explorer widgets: thin ipywidgets views over the data helpers in explore.py and writable.py.

Where widgets cannot be drawn (a terminal, an exported notebook) each one shows a text
summary of the same data instead.
"""

from __future__ import annotations

import contextlib
import html
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from layerlab.i18n import tr
from layerlab.viz.explore import file_label, file_rows, image_choices, image_rows, layer_summary
from layerlab.viz.layerfiles import ImageFiles, image_files, preview
from layerlab.viz.state import collect_state
from layerlab.viz.writable import Action, container_choices, perform, writable_layer

if TYPE_CHECKING:
    from layerlab.engine.api import Engine


def _engine(engine: Engine | None) -> Engine:
    if engine is not None:
        return engine
    from layerlab.session import current_session

    return current_session().engine()


# The explorer of each kind that follows the session: the newest one. Re-running a cell makes
# a new explorer while the old one stays in the kernel; only one per kind pays for a refresh.
_followers: dict[type, Callable[[str, list[str], Engine], None]] = {}


def _follow_session(widget: ImageExplorer | ContainerExplorer) -> None:
    """Refresh ``widget`` after every docker command the session runs, on whichever engine the
    session uses then, for as long as it lives (held weakly) and no newer one of its kind."""
    from layerlab.session import current_session

    session = current_session()
    target = weakref.ref(widget)
    previous = _followers.get(type(widget))
    if previous is not None:
        with contextlib.suppress(ValueError):
            session.listeners.remove(previous)

    def listener(phase: str, argv: list[str], engine: Engine) -> None:
        live = target()
        if live is None:
            with contextlib.suppress(ValueError):
                session.listeners.remove(listener)
            return
        if phase != "after":
            return
        try:
            live.engine = engine
            live.refresh()
        except Exception as exc:  # the command itself went fine: say so in the widget only
            live.show_problem(
                tr(
                    "could not refresh after `docker {command}`: {error}",
                    command=" ".join(argv),
                    error=exc,
                )
            )

    session.listeners.append(listener)
    _followers[type(widget)] = listener


def _kind_name(kind: str) -> str:
    """What a layer did to a file, in the learner's language."""
    return {"added": tr("added"), "changed": tr("changed"), "deleted": tr("deleted")}.get(
        kind, kind
    )


def _heading(title: str, note_html: str) -> w.HTML:
    """A pane's title in bold, with a note (already HTML) in brackets after it."""
    return w.HTML(f"<b>{html.escape(title)}</b> ({note_html})")


def _full_width() -> w.Layout:
    """A list as wide as the explorer: a width of 100% would add the list's margins on top of
    the column's width and run past its right edge; "auto" lets the column stretch it."""
    return w.Layout(width="auto")


def _pre(text: str) -> str:
    # Wrap long lines between words (JupyterLab's own style for <pre> breaks them anywhere,
    # mid-word); only a word longer than the line is broken.
    style = "margin:0;white-space:pre-wrap;word-break:normal;overflow-wrap:break-word"
    return f"<pre style='{style}'>{html.escape(text)}</pre>"


class _TextFallback:
    """Replace the widget's plain-text form (``VBox(children=…)``) with a readable summary."""

    def text(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if isinstance(bundle, dict):
            bundle["text/plain"] = self.text()
        return bundle


class ImageExplorer(_TextFallback, w.VBox):
    """Pick an image, then a layer to see its files, then a file to see its content. Without an
    explicit engine it follows the session: it refreshes after each docker command."""

    def __init__(self, engine: Engine | None = None, image: str | None = None) -> None:
        self.engine = _engine(engine)
        self.state = collect_state(self.engine, diffs=False)
        self._files: dict[str, ImageFiles] = {}
        self.picker = w.Dropdown(description=tr("image"), options=image_choices(self.state))
        self.layers = w.Select(rows=10, layout=_full_width())
        self.files = w.Select(rows=8, layout=_full_width())
        self.info = w.HTML()
        self.content = w.HTML()
        self.refresh_button = w.Button(description=tr("refresh"), icon="refresh")
        self.refresh_button.on_click(lambda _: self.refresh())
        for widget, name in [
            (self.picker, "picker"),
            (self.layers, "layers"),
            (self.files, "files"),
            (self.info, "info"),
            (self.content, "content"),
        ]:
            widget.add_class(f"layerlab-{name}")
        super().__init__(
            [
                w.HBox([self.picker, self.refresh_button]),
                _heading(tr("steps, base first"), html.escape(tr("pick a layer to see its files"))),
                self.layers,
                self.info,
                self.files,
                self.content,
            ]
        )
        self.add_class("layerlab-image-explorer")
        self.picker.observe(lambda _: self.show_image(), names="value")
        self.layers.observe(lambda _: self.show_layer(), names="value")
        self.files.observe(lambda _: self.show_file(), names="value")
        if image is not None:
            found = self.state.resolve(image)
            if found is None:
                raise KeyError(tr("no such image: {name}", name=image))
            self.picker.value = found.id
        self.show_image()
        if engine is None:
            _follow_session(self)

    def refresh(self) -> None:
        """Read the engine again, keeping the chosen image while it exists."""
        chosen = self.picker.value
        self.state = collect_state(self.engine, diffs=False)
        self._files.clear()
        options = image_choices(self.state)
        ids = [value for _, value in options]
        self.picker.options = options  # this selects the first option: restore the choice
        self.picker.value = chosen if chosen in ids else (ids[0] if ids else None)
        self.show_image()

    def show_problem(self, text: str) -> None:
        self.info.value = _pre(text)

    def image_files(self) -> ImageFiles:
        image_id = str(self.picker.value)
        if image_id not in self._files:
            self._files[image_id] = image_files(self.engine, image_id)
        return self._files[image_id]

    def show_image(self) -> None:
        if self.picker.value is None:
            self.layers.options = []
            return
        self.rows = image_rows(self.state, str(self.picker.value))
        self.layers.options = [(row.label(), row.number) for row in self.rows]
        first_layer = next((r.number for r in reversed(self.rows) if not r.empty), None)
        self.layers.value = first_layer
        self.show_layer()

    def show_layer(self) -> None:
        row = next((r for r in self.rows if r.number == self.layers.value), None)
        self.content.value = ""
        if row is None or row.layer_index is None:
            self.files.options = []
            created_by = row.created_by if row else ""
            self.info.value = _pre(created_by + "\n" + tr("metadata step: no layer"))
            return
        files = self.image_files()
        shared = ", ".join(row.shared_with) or tr("no other image")
        summary = layer_summary(files, row.number, row.layer_index)
        self.info.value = _pre(
            f"{row.created_by}\n{summary}\n" + tr("shared with: {images}", images=shared)
        )
        self.changes = file_rows(files, row.layer_index)
        self.files.options = [(file_label(c), i) for i, c in enumerate(self.changes)]
        self.files.value = None

    def show_file(self) -> None:
        row = next((r for r in self.rows if r.number == self.layers.value), None)
        if self.files.value is None or row is None or row.layer_index is None:
            return
        change = self.changes[int(self.files.value)]
        heading = tr(
            "{path} ({kind} in step {step}, layer {layer})",
            path=change.path, kind=_kind_name(change.kind), step=row.number,
            layer=row.layer_index + 1,
        )  # fmt: skip
        if change.target and change.kind != "deleted":  # a link shows where it points
            body = tr("a link to {target}", target=change.target)
        else:
            data = None
            if change.kind != "deleted":
                data = self.image_files().read(row.layer_index, change.path)
            body = preview(data)
        self.content.value = f"<b>{html.escape(heading)}</b>" + _pre(body)

    def text(self) -> str:
        if self.picker.value is None:
            return tr("no images")
        lines = [tr("image {id}", id=self.picker.label)]
        lines.extend(row.label() for row in self.rows)
        return "\n".join(lines)


class ContainerExplorer(_TextFallback, w.VBox):
    """A container's state and writable layer, with stop/start/rm buttons that say what each
    does to that layer. Without an explicit engine it refreshes after each docker command."""

    def __init__(self, engine: Engine | None = None, container: str | None = None) -> None:
        self.engine = _engine(engine)
        self.picker = w.Dropdown(description=tr("container"))
        self.summary = w.HTML()
        self.changes = w.Select(rows=8, layout=_full_width())
        self.messages = w.HTML()
        self.buttons = {
            action: w.Button(description=action, tooltip=f"docker {action}")
            for action in ("stop", "start", "rm")
        }
        self.refresh_button = w.Button(description=tr("refresh"), icon="refresh")
        for action, button in self.buttons.items():
            button.add_class(f"layerlab-{action}")
            button.on_click(lambda _, a=action: self.act(a))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.picker.add_class("layerlab-picker")
        self.changes.add_class("layerlab-changes")
        self.messages.add_class("layerlab-log")
        self.summary.add_class("layerlab-summary")
        super().__init__(
            [
                self.picker,
                self.summary,
                _heading(
                    tr("writable layer"),
                    "<code>docker diff</code>: " + html.escape(tr("A added, C changed, D deleted")),
                ),
                self.changes,
                w.HBox([*self.buttons.values(), self.refresh_button]),
                self.messages,
            ]
        )
        self.add_class("layerlab-container-explorer")
        self.picker.observe(lambda _: self.show(), names="value")
        self.refresh(container)
        if engine is None:
            _follow_session(self)

    def show_problem(self, text: str) -> None:
        self.messages.value = _pre(text)

    def refresh(self, select: str | None = None) -> None:
        choices = container_choices(self.engine)
        current = select or self.picker.value
        self.picker.options = choices
        ids = [value for _, value in choices]
        match = [i for i in ids if current and (i.startswith(current) or i == current)]
        if select and not match:
            names = {label.split()[0]: value for label, value in choices}
            match = [names[select]] if select in names else []
        self.picker.value = match[0] if match else (ids[0] if ids else None)
        self.show()

    def show(self) -> None:
        if self.picker.value is None:
            self.layer = None
            self.summary.value = _pre(tr("no containers: create one with `docker run`"))
            self.changes.options = []
            return
        self.layer = writable_layer(self.engine, str(self.picker.value))
        self.summary.value = _pre(self.layer.summary())
        self.changes.options = [f"{kind} {path}" for kind, path in self.layer.changes]

    def act(self, action: Action) -> None:
        if self.picker.value is None:
            return
        report = perform(self.engine, str(self.picker.value), action)
        outcome = tr("error: {error}", error=report.error) if report.error else report.message
        self.messages.value = _pre(f"$ {report.command}\n{outcome}")
        self.refresh(None if report.after is None else report.before.id)

    def text(self) -> str:
        if self.layer is None:
            return tr("no containers")
        lines = [self.layer.summary()]
        lines.extend(f"  {kind} {path}" for kind, path in self.layer.changes)
        return "\n".join(lines)
