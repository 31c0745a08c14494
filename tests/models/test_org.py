"""Who is an Information Center admin (Art. 2, 6): one rule, one query, on every database."""

from __future__ import annotations

from models import Department, Person
from models.org import info_center_admins, is_info_center_admin
from tests.conftest import QueryCounter


async def _organisation() -> dict[str, Person]:
    """An Information Center headed by someone filed in another department, its officer and a plain
    member; a department with its own head and officer; people with roles."""
    ic = await Department.create(code="ic", name="信息中心", info_center=True)
    other = await Department.create(code="pub", name="宣传科")
    people = {code: await Person.create(code=code, name=code, department=dept, is_officer=officer,
                                        roles=roles, active=active)
              for code, dept, officer, roles, active in [
                  ("ic_head", other, False, [], True),
                  ("ic_officer", ic, True, [], True),
                  ("ic_member", ic, False, [], True),
                  ("pub_head", other, False, [], True),
                  ("pub_officer", other, True, [], True),
                  ("by_role", other, False, ["ic_admin"], True),
                  ("role_among_others", None, False, ["reader", "ic_admin"], True),
                  ("lookalike_roles", other, False, ["ic_admins", "xic_admin", "ic-admin"], True),
                  ("gone_officer", ic, True, [], False),
              ]}
    await Department.filter(id=ic.id).update(head_id=people["ic_head"].id)
    await Department.filter(id=other.id).update(head_id=people["pub_head"].id)
    return people


async def test_admins_are_the_ic_head_its_officers_and_the_ic_admin_role(db: str) -> None:
    people = await _organisation()
    admins = [p.code for p in await info_center_admins()]
    assert admins == ["ic_head", "ic_officer", "by_role", "role_among_others"]
    for code, person in people.items():
        assert await is_info_center_admin(person) == (code in admins), code


async def test_exclude_leaves_out_the_people_a_decision_concerns(db: str) -> None:
    people = await _organisation()
    exclude = {people["ic_head"].id, people["by_role"].id}
    assert [p.code for p in await info_center_admins(exclude)] == ["ic_officer", "role_among_others"]


async def test_the_query_reads_no_one_else(db: str, queries: QueryCounter) -> None:
    """One statement whatever the organisation's size, selecting only the admins."""
    people = await _organisation()
    for i in range(30):
        await Person.create(code=f"p{i}", name=f"p{i}")
    queries.count = 0
    admins = await info_center_admins()
    assert queries.count == 1 and len(admins) == 4
    plain = await Person.get(code="p7")
    queries.count = 0
    assert await is_info_center_admin(people["ic_officer"])
    assert not await is_info_center_admin(plain)
    assert queries.count == 2
