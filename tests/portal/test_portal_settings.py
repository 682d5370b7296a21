"""The portal's service token: its own entry in CONNECTORS_SERVICE_TOKENS, else the first."""

from __future__ import annotations

import pytest

from connectors.settings import Settings
from portal.settings import core_token


def test_the_portal_entry_is_chosen_wherever_it_stands() -> None:
    tokens = "workers:" + "w" * 32 + ", portal:" + "p" * 32
    assert core_token(Settings(service_tokens=tokens)) == "p" * 32


def test_without_a_portal_entry_the_first_is_used() -> None:
    assert core_token(Settings(service_tokens="workers:" + "w" * 32 + ",cli:" + "c" * 32)) == "w" * 32


@pytest.mark.parametrize("spec", ["", " , ", "no-colon-here"])
def test_no_entry_at_all_is_an_error(spec: str) -> None:
    with pytest.raises(ValueError, match="CONNECTORS_SERVICE_TOKENS"):
        core_token(Settings(service_tokens=spec))
