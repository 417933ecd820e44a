"""`_()` with the tenant's wording: gettext that looks at the current tenant's overrides first.

One process serves many tenants through one set of catalogs, so the overrides cannot live in the
catalogs. The settings middleware (and the notifier) put the tenant's overrides, keyed by locale
and catalog message id, into a context variable for the update; `OverridableI18n.gettext` checks
them before the catalog: a context-variable read and two dict lookups per text. Plural texts are
never overridden (an override has one form).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from aiogram.utils.i18n import I18n

Overrides = Mapping[str, Mapping[str, str]]  # locale -> catalog msgid -> the tenant's text

_current: ContextVar[Overrides | None] = ContextVar("bot_text_overrides", default=None)


@contextmanager
def use_overrides(overrides: Overrides) -> Iterator[None]:
    """Within the block, `_()` answers with `overrides` where they have the text."""
    token = _current.set(overrides)
    try:
        yield
    finally:
        _current.reset(token)


class OverridableI18n(I18n):
    """aiogram's I18n, with the current tenant's overrides before the catalogs."""

    def gettext(self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None) -> str:
        if plural is None:
            overrides = _current.get()
            if overrides:
                own = overrides.get(locale or self.current_locale, {}).get(singular)
                if own is not None:
                    return own
        return super().gettext(singular, plural, n, locale)


# aiogram's ContextInstanceMixin gives every subclass a context variable of its own, while its
# `gettext` (the `_` of every handler) reads I18n's: without its own, the subclass uses I18n's.
delattr(OverridableI18n, "_ContextInstanceMixin__context_instance")
