"""Which ``FIRWATCH_*`` environment names are settings, so a misspelled one can be refused.

pydantic-settings silently drops an unknown variable; the settings' field tree
gives every name a setting answers to, and anything else under ``FIRWATCH_``
(bar the variables listed in :data:`OTHER_VARIABLES`) is a typo.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable

from pydantic import BaseModel

# FIRWATCH_* variables that are not settings: read by the CLI, the emulator, the tests and
# store/crypto.py (FIRWATCH_SECRET_KEY[_FILE]: kept out of settings so it is never dumped).
OTHER_VARIABLES = (
    "FIRWATCH_CONFIG",
    "FIRWATCH_TEST_",
    "FIRWATCH_EMULATOR_",
    "FIRWATCH_SECRET_KEY",
    "FIRWATCH_SCHEMATHESIS_",
)


def setting_paths(model: type[BaseModel], prefix: str = "FIRWATCH_") -> list[str]:
    """Every environment name a setting answers to: each field, and the fields below a nested
    model (``X | None`` included), so both ``FIRWATCH_API`` (JSON) and ``FIRWATCH_API__PORT`` count."""
    names = []
    for field, info in model.model_fields.items():
        name = f"{prefix}{field.upper()}"
        names.append(name)
        for kind in (info.annotation, *typing.get_args(info.annotation)):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                names.extend(setting_paths(kind, name + "__"))
            elif kind is dict or typing.get_origin(kind) is dict:
                names.append(name + "__*")  # a mapping takes any key below it
    return names


def unknown_variable(environ: Iterable[str], model: type[BaseModel]) -> str | None:
    """The refusal for the first ``FIRWATCH_*`` name no setting of ``model`` answers to,
    with the nearest real name; None when every name is known.

    >>> from service.config import Settings
    >>> unknown_variable({"FIRWATCH_API__PORT": "1", "FIRWATCH_CONFIG": "x"}, Settings)
    >>> unknown_variable({"FIRWATCH_API__PROT": "1", "HOME": "/root"}, Settings)
    'FIRWATCH_API__PROT: no such setting (did you mean FIRWATCH_API__PORT?)'
    """
    paths = setting_paths(model)
    known = [k for k in paths if not k.endswith("*")]
    mappings = tuple(k[:-1] for k in paths if k.endswith("*"))
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("FIRWATCH_") or upper.startswith(OTHER_VARIABLES):
            continue
        if upper in known or upper.startswith(mappings):
            continue
        near = difflib.get_close_matches(upper, known, n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]}?)" if near else ""
        return f"{name}: no such setting{hint}"
    return None
