"""LayerLab's own words in the learner's language.

Docker's output stays exactly as Docker prints it. What LayerLab itself writes (graphs, build
explanations, status, messages of its magics) goes through :func:`tr` and :func:`ntr`, which look
it up in a gettext catalog, ``locale/<language>/LC_MESSAGES/layerlab.po`` (read with Babel, so
the catalog is the reviewed text, with no compiled copy to keep in step). English is the source
language: a message without a translation is shown in English.

The language is the one ``%docker_lang`` chose, else ``LAYERLAB_LANG``'s, else English. The
course's Korean notebooks start with ``%docker_lang ko``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

LANGUAGES = ("en", "ko")
SOURCE_LANGUAGE = "en"
_LOCALE = Path(__file__).with_name("locale")

_chosen: str | None = None


class UnknownLanguage(ValueError):
    """A language LayerLab has no catalog for."""


def language() -> str:
    """The language LayerLab speaks now."""
    if _chosen is not None:
        return _chosen
    wanted = os.environ.get("LAYERLAB_LANG", "").strip().lower()
    return wanted if wanted in LANGUAGES else SOURCE_LANGUAGE


def set_language(name: str | None) -> None:
    """Speak ``name`` from now on (None: back to ``LAYERLAB_LANG`` or English)."""
    global _chosen
    if name is not None and name not in LANGUAGES:
        raise UnknownLanguage(f"no such language: {name} (choose one of {', '.join(LANGUAGES)})")
    _chosen = name


@functools.cache
def catalog(name: str) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """The translations of ``name``: msgid (a plural's: (singular, plural)) -> its text."""
    path = _LOCALE / name / "LC_MESSAGES" / "layerlab.po"
    if name == SOURCE_LANGUAGE or not path.exists():
        return {}
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        messages = read_po(file, locale=name)
    found: dict[str | tuple[str, str], str | tuple[str, ...]] = {}
    for message in messages:
        forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        if message.id and all(forms) and not message.fuzzy:  # an untranslated form: English
            key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
            found[key] = tuple(forms) if isinstance(message.string, (list, tuple)) else forms[0]  # type: ignore[assignment]
    return found


def tr(message: str, **values: object) -> str:
    """``message`` in the current language, with ``{name}`` fields filled from ``values``."""
    text = catalog(language()).get(message)
    chosen = text if isinstance(text, str) and text else message
    return chosen.format(**values) if values else chosen


def ntr(singular: str, plural: str, count: int, **values: object) -> str:
    """The form for ``count`` (``{count}`` is filled too) in the current language."""
    forms = catalog(language()).get((singular, plural))
    if isinstance(forms, tuple) and forms and all(forms):
        # The languages here have one form (Korean) or English's two.
        chosen = forms[0] if len(forms) == 1 or count == 1 else forms[1]
    else:
        chosen = singular if count == 1 else plural
    return chosen.format(count=count, **values)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog where it is defined (a task's text, say, made once at
    import); :func:`tr` translates it where it is shown, in the language of that moment."""
    return message
