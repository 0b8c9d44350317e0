"""DirectoryAPI against the real sandbox: the offices of the city doc."""

from __future__ import annotations

import pytest

from actions.backend import Backend
from actions.backend.errors import InvalidInput, NotFound
from actions.backend.payloads import OfficeKind


async def test_offices_by_kind_and_district(backend: Backend) -> None:
    dmvs = await backend.directory.offices(kind=OfficeKind.DMV)
    assert {o.id for o in dmvs} == {
        "dmv-main",
        "dmv-nanshan",
        "dmv-baoan",
        "dmv-longgang",
    }
    nanshan = await backend.directory.offices(district="南山", kind="dmv")
    assert len(nanshan) == 1
    office = nanshan[0]
    assert office.kind is OfficeKind.DMV
    assert (office.name, office.district) == ("南山车管分所", "南山区")
    assert office.short_names == ("南山车管所",)
    assert office.address == "南山区沙河西路 2002 号"
    assert office.phone == "0755-8600 1002"
    assert office.hours


async def test_offices_by_words(backend: Backend) -> None:
    found = await backend.directory.offices(q="社保局")
    assert [o.id for o in found] == ["social-insurance"]
    assert await backend.directory.offices() != []


async def test_one_office(backend: Backend) -> None:
    office = await backend.directory.office("dmv-main")
    assert office.name == "深圳市车管所（沙盒）本部"
    assert office.short_names == ("车管所", "市车管所")
    with pytest.raises(NotFound) as unknown:
        await backend.directory.office("nowhere")
    assert unknown.value.code == "unknown_office"


async def test_unknown_district_is_invalid(backend: Backend) -> None:
    with pytest.raises(InvalidInput) as bad:
        await backend.directory.offices(district="火星区")
    assert bad.value.code == "invalid_district"
