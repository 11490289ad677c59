"""The service's "name taken" answer is a type (NameTaken), decoded where the answer is read:
callers catch it, never match its words."""

from __future__ import annotations

from pathlib import Path

import pytest

from bland_clone import APIError, Client, NameTaken, inspect
from bland_clone.core import limits
from bland_clone.core.errors import ExitCode

from .servers import Service


def test_cloning_a_taken_name_raises_name_taken(service: Service, sample: Path) -> None:
    service.state.add_voice("Narrator")
    client = Client(service.key, service.url)
    with pytest.raises(NameTaken) as caught:
        client.clone("Narrator", [inspect(str(sample))])
    exc = caught.value
    assert isinstance(exc, APIError) and exc.status == 400
    assert exc.exit_code == ExitCode.INPUT
    assert exc.errors == [{"error": "Validation Error", "message": limits.NAME_TAKEN}]


def test_renaming_onto_a_taken_name_raises_name_taken(service: Service) -> None:
    service.state.add_voice("Narrator")
    other = service.state.add_voice("Guide")
    client = Client(service.key, service.url)
    with pytest.raises(NameTaken):
        client.rename_voice(other.id, "narrator")  # the service compares names this way
    assert client.get_voice(other.id).name == "Guide"


def test_other_refusals_are_not_name_taken(service: Service) -> None:
    client = Client(service.key, service.url)
    stock = next(v for v in client.list_voices() if not v.is_cloned)
    with pytest.raises(APIError) as caught:
        client.rename_voice(stock.id, "Mine now")
    assert not isinstance(caught.value, NameTaken)
