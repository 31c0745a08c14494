"""``xmt org sync --from wecom|dingtalk [--apply]``: the organisation in the database against the
directory the app can see (issue 16; Art. 4 leaders and administrators, Art. 7 officers).

Kept simple on purpose:

- People are matched by their id on the platform (``Person.wecom_userid`` / ``dingtalk_userid``;
  ``xmt org resolve`` fills them), departments by name (the directory's department name is our
  ``Department.name``). A directory department whose name is withheld matches nothing and is
  listed as unnamed; when one name is held by two of our departments the first by code is used.
- A person listed in any visible department is present, whatever their ``active`` flag there
  (disabled or not yet activated people are still listed by both platforms).
- The plan lists: people added (in the directory, in a department we have, with no Person of that
  id — listed only: people are added in the organisation file, where their roles come from), people
  gone (active, with an id on this platform, in no visible department — deactivated on apply; the
  plan says which roles they hold, as the Art. 4 / Art. 7 follow-ups need someone new), people
  moved (none of their directory departments is theirs here but one maps to one of ours — moved to
  it on apply), people renamed (the directory gives a name, not ours — renamed on apply; a withheld
  name is None and keeps ours), departments added and removed (listed only: never created or
  deleted here, as heads and officers come from the organisation file).
- ``apply`` writes the moves, renames and deactivations in one transaction with an audit line
  each (``person_moved``, ``person_renamed``, ``person_left``); a second run finds nothing to do.
  What a person gone or moved held is handed on in the same transaction, exactly as when the
  platform's change event says so (``bot.handover``): ``xmt org sync --apply`` is how a change
  the bot missed (an event not delivered, events not enabled) gets its Art. 4 / Art. 7 follow-ups.
- A directory that refuses or fails (``DirectoryError``) raises before anything is written.

A person gone may merely be outside the app's visible range (可见范围): the range should cover the
whole organisation before ``--apply`` (``docs/directory.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import Enum
from typing import TYPE_CHECKING

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot import audit
from bot.directory import Directory, DirectoryPerson
from bot.events import bounded_key
from bot.handover import LEFT, MOVED, Told, Vacated, vacate
from models import Account, AccountStatus, Department, OutboxMessage, Person, Role

if TYPE_CHECKING:
    from bot.outbox import Outbox

COLUMNS = {"wecom": "wecom_userid", "dingtalk": "dingtalk_userid"}


class Change(str, Enum):
    DEPARTMENT_ADDED = "department_added"
    DEPARTMENT_REMOVED = "department_removed"
    DEPARTMENT_UNNAMED = "department_unnamed"
    PERSON_ADDED = "person_added"
    PERSON_GONE = "person_gone"
    PERSON_MOVED = "person_moved"
    PERSON_RENAMED = "person_renamed"


APPLIED = (Change.PERSON_GONE, Change.PERSON_MOVED, Change.PERSON_RENAMED)
ACTIONS = {Change.PERSON_GONE: "person_left", Change.PERSON_MOVED: "person_moved",
           Change.PERSON_RENAMED: "person_renamed"}


@dataclass(frozen=True)
class Entry:
    change: Change
    subject: str  # a person's code (or their directory id when added); a department's code or name
    name: str  # the person's or the department's name, as we know it ("" when unknown)
    before: str = ""  # moved: the department code left ("" none); renamed: the old name
    after: str = ""  # moved: the department code joined; renamed: the new name; added: the userid
    roles: tuple[tuple[str, str], ...] = ()  # gone: (kind, where): admin|leader|head|officer|ic_admin


@dataclass(frozen=True)
class Plan:
    platform: str
    entries: tuple[Entry, ...]
    applied: int = 0
    told: int = 0  # follow-up messages queued for the people gone or moved (``bot.handover``)

    @property
    def changes(self) -> tuple[Entry, ...]:
        """The entries ``apply`` writes."""
        return tuple(e for e in self.entries if e.change in APPLIED)


async def _roles(gone: list[Person], departments: dict[int, Department]
                 ) -> dict[int, tuple[tuple[str, str], ...]]:
    """What each person leaving leaves unheld: accounts they run or lead, departments they head or
    serve as officer, the Information Center's administration. Two queries however many leave."""
    ids = [p.id for p in gone]
    roles: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    accounts = await Account.exclude(status=AccountStatus.CLOSED).filter(
        Q(admin_id__in=ids) | Q(leader_id__in=ids)).order_by("name").values_list(
        "name", "admin_id", "leader_id") if ids else []
    for role, index in (("admin", 1), ("leader", 2)):
        for row in accounts:
            if row[index] in roles:
                roles[row[index]].append((role, str(row[0])))
    for department in sorted(departments.values(), key=lambda d: d.code):
        if department.head_id in roles:
            roles[department.head_id].append(("head", department.name))
    for person in gone:
        officer_of = departments.get(person.department_id or 0)
        if person.is_officer and officer_of is not None:
            roles[person.id].append(("officer", officer_of.name))
        if Role.IC_ADMIN.value in person.roles:
            roles[person.id].append(("ic_admin", ""))
    return {i: tuple(r) for i, r in roles.items()}


async def plan(directory: Directory) -> Plan:
    """What differs between the directory and the database. Raises ``DirectoryError`` (and its
    kinds) when the directory refuses or fails; reads only."""
    column = COLUMNS[directory.platform]
    shown = await directory.departments()
    seen: dict[str, DirectoryPerson] = {}
    in_departments: dict[str, list[str]] = {}  # userid → directory department ids, as listed
    for d in shown:
        for p in await directory.members(d.id):
            seen.setdefault(p.userid, p)
            in_departments.setdefault(p.userid, []).append(d.id)

    ours = await Department.all().order_by("code")
    by_name: dict[str, Department] = {}
    for department in ours:
        by_name.setdefault(department.name, department)
    codes = {d.id: d.code for d in ours}
    mapped = {d.id: by_name[d.name] for d in shown if d.name is not None and d.name in by_name}

    entries: list[Entry] = []
    names = {d.name for d in shown if d.name is not None}
    for d in shown:
        if d.name is None:
            entries.append(Entry(Change.DEPARTMENT_UNNAMED, d.id, ""))
        elif d.name not in by_name:
            entries.append(Entry(Change.DEPARTMENT_ADDED, d.name, d.name))
    entries += [Entry(Change.DEPARTMENT_REMOVED, d.code, d.name) for d in ours if d.name not in names]

    people = await Person.exclude(**{f"{column}__isnull": True}).order_by("code")
    known = {str(getattr(p, column)): p for p in people}
    for userid in sorted(seen):
        if userid in known:
            continue
        targets = [mapped[i] for i in in_departments[userid] if i in mapped]
        if targets:
            entries.append(Entry(Change.PERSON_ADDED, userid, seen[userid].name or "", "", userid,
                                 ()))
    gone = [p for p in people if p.active and str(getattr(p, column)) not in seen]
    held = await _roles(gone, {d.id: d for d in ours})
    for person in people:
        if not person.active:
            continue
        userid = str(getattr(person, column))
        listed = seen.get(userid)
        if listed is None:
            entries.append(Entry(Change.PERSON_GONE, person.code, person.name, roles=held[person.id]))
            continue
        targets = [mapped[i] for i in in_departments[userid] if i in mapped]
        if targets and person.department_id not in {t.id for t in targets}:
            before = codes.get(person.department_id, "") if person.department_id is not None else ""
            entries.append(Entry(Change.PERSON_MOVED, person.code, person.name, before, targets[0].code))
        if listed.name is not None and listed.name != person.name:
            entries.append(Entry(Change.PERSON_RENAMED, person.code, person.name, person.name,
                                 listed.name))
    return Plan(directory.platform, tuple(entries))


async def apply(found: Plan, *, now: datetime, actor: str = "cli", outbox: Outbox | None = None,
                tz: tzinfo = UTC) -> Plan:
    """Writes the plan's moves, renames and deactivations in one transaction, one audit line
    each; a change no longer true in the database (someone else made it) is skipped. With an
    ``outbox``, what a person gone or moved held is handed on as a directory change event would
    (``bot.handover``: 需变更备案, no officer left, 代审…); the running bot delivers the messages."""
    written = 0
    run = f"sync:{found.platform}:{now.isoformat()}"
    async with in_transaction():
        for e in found.changes:
            person = Person.filter(code=e.subject)
            before = await Person.get(code=e.subject)
            detail: dict[str, str] = {"platform": found.platform}
            moved_to: Department | None = None
            if e.change == Change.PERSON_GONE:
                done = await person.filter(active=True).update(active=False)
            elif e.change == Change.PERSON_MOVED:
                moved_to = await Department.get(code=e.after)
                # An officer serves the department they are in: not the one they join.
                done = await person.exclude(department_id=moved_to.id).update(
                    department_id=moved_to.id, is_officer=False)
                detail |= {"from": e.before, "to": e.after}
            else:
                done = await person.filter(name=e.before).update(name=e.after)
                detail |= {"from": e.before, "to": e.after}
            if not done:
                continue
            written += 1
            await audit.record(actor, ACTIONS[e.change], e.subject, detail, now=now)
            if outbox is not None and e.change != Change.PERSON_RENAMED:
                left = await Department.get_or_none(id=before.department_id or 0)
                gone = (Vacated(before, left, LEFT, channel=found.platform) if moved_to is None
                        else Vacated(before, left, MOVED, moved_to.name, found.platform))
                await vacate(Told(outbox, now, tz, run), gone)
        told = await OutboxMessage.filter(key__startswith=bounded_key("contact", run)).count() \
            if outbox is not None and written else 0
    return Plan(found.platform, found.entries, written, told)


async def sync(directory: Directory, *, now: datetime, write: bool = False, actor: str = "cli",
               outbox: Outbox | None = None, tz: tzinfo = UTC) -> Plan:
    """The plan, applied when ``write``. Raises ``DirectoryError`` before writing anything."""
    found = await plan(directory)
    return await apply(found, now=now, actor=actor, outbox=outbox, tz=tz) if write else found
