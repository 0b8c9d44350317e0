"""GET /directory/v1/offices."""

from __future__ import annotations

from sandbox_testkit import Api


async def test_all_offices(api: Api) -> None:
    offices = (await api.get("/directory/v1/offices")).data["offices"]
    assert len(offices) == 14
    main = next(o for o in offices if o["id"] == "dmv-main")
    assert main == {
        "id": "dmv-main",
        "kind": "dmv",
        "name": "深圳市车管所（沙盒）本部",
        "short_names": ["车管所", "市车管所"],
        "district": "福田区",
        "address": "福田区北环大道 1001 号",
        "phone": "0755-8600 1001",
        "hours": "周一至周五 9:00–12:00、14:00–18:00；周六 9:00–12:00",
    }


async def test_filters(api: Api) -> None:
    dmv_nanshan = (await api.get("/directory/v1/offices?district=南山&kind=dmv")).data[
        "offices"
    ]
    assert [o["id"] for o in dmv_nanshan] == ["dmv-nanshan"]
    halls = (await api.get("/directory/v1/offices?kind=service_centre")).data["offices"]
    assert len(halls) == 7
    exit_entry = (await api.get("/directory/v1/offices?kind=exit_entry")).data[
        "offices"
    ]
    assert [o["name"] for o in exit_entry] == ["市公安局出入境办证大厅（沙盒）"]
    by_name = (await api.get("/directory/v1/offices?q=社保局")).data["offices"]
    assert [o["id"] for o in by_name] == ["social-insurance"]
    assert (await api.get("/directory/v1/offices?district=盐田")).data["offices"] == []


async def test_refusals_and_single_office(api: Api) -> None:
    assert (await api.get("/directory/v1/offices?kind=zoo")).status == 422
    assert (await api.get("/directory/v1/offices?district=火星区")).status == 422
    assert (await api.get("/directory/v1/offices/fund-centre")).data[
        "kind"
    ] == "housing_fund"
    assert (await api.get("/directory/v1/offices/nowhere")).status == 404
