"""The watch (issue 17; Art. 10 先审后发, Art. 11, Art. 13): what each account published, read where
it was published, matched to what was approved.

Every hour (``EVERY``), for every live account with a source — a WeChat official account with API keys
(``freepublish/batchget`` through ``deps.publisher``) or an RSS/Atom feed (``Account.feed_url``,
through ``deps.fetch_feed`` and ``bot.feeds``) — the sweep reads what is new since the last item
it saw (pages are read until one has nothing new: WeChat does not promise the order; articles
sent as 群发 are not in the list at all, so the watch cannot see them), and for each new
item (``SeenItem``, once per account and source id):

- **matched** to a version approved and not yet recorded (``bot.matching``) → recorded as that
  draft's publication (``bot.publications``: no ``已发布`` needed, the cadence moves on);
- matched to one already recorded (by ``已发布`` or by publishing through the bot) → noted;
- **not matched** → 【未经审核发布】 to the department head, the account's 主管领导 and the
  Information Center, with the title, the link and the time; audited, and counted in the
  account's year.

The published text is screened with the word lists too (Art. 13 after publication): a blocking
word (a classified marking) found in what is already out is an urgent alert to the same people.

The first time an account is read (``Account.watched_at`` empty), what it already shows is the
baseline: recorded (and matched
where it can be) but not reported — items from before the bot watched were never its to judge.

A source that fails (network, a refused call, a broken feed) is skipped this run and read again
the next: nothing is marked seen that was not read.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from bot import audit, texts
from bot.cards import Text
from bot.deps import Deps
from bot.draft_cards import load_view
from bot.feeds import FeedError, parse_feed
from bot.matching import Candidate, Match, match, nearest
from bot.publications import record
from bot.publish_jobs import credentials
from bot.publishing import PublishedItem, Publisher, PublishError
from bot.screening import Hit, Level
from bot.sql import Params
from models import (
    Account,
    AccountStatus,
    Attachment,
    AttachmentKind,
    Decision,
    Department,
    Draft,
    DraftStatus,
    DraftVersion,
    JobStatus,
    Outcome,
    Person,
    Publication,
    PublishJob,
    SeenItem,
)
from models.org import info_center_admins
from schedules.base import measured, sweep_lock

KIND = "watch"
log = logging.getLogger("xmt.watch")
PAGE = 20
MAX_PAGES = 5  # per account and run: 100 items; the rest next run
RECENT = timedelta(days=90)  # published drafts an item may still be (recorded by 已发布 first)
EVERY = timedelta(hours=1)  # how often one account's sources are read
READ_AT_ONCE = 16  # accounts read concurrently: each read is network calls, mostly waiting
CHUNK = 200  # accounts read, then written, at a time: bounds what a run holds in memory
MIN_PER_RUN = 50
HEADROOM = 1.25  # a run reads a quarter more than its share: a late or missed run is caught up


def per_run(watchable: int, interval: timedelta) -> int:
    """How many accounts one run reads so that each of ``watchable`` is read once per ``EVERY``
    when the sweep runs every ``interval`` (``XMT_SWEEP_EVERY_MINUTES``), with ``HEADROOM``."""
    runs = max(1, EVERY // interval)
    return max(MIN_PER_RUN, math.ceil(watchable * HEADROOM / runs))


async def _known(account_id: int, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` (one page, one feed) the account's ``SeenItem`` already has: one query
    whatever the account's history."""
    if not ids:
        return set()
    wanted = sorted({i[:255] for i in ids})
    return {str(s) for s in await SeenItem.filter(account_id=account_id, source_id__in=wanted).values_list(
        "source_id", flat=True)}


async def _wechat_items(publisher: Publisher, account: Account) -> list[PublishedItem]:
    creds = credentials(account)
    if creds is None:
        return []
    out: list[PublishedItem] = []
    for page in range(MAX_PAGES):
        items, total = await publisher.published(creds, offset=page * PAGE, count=PAGE)
        known = await _known(account.id, [i.source_id for i in items])
        fresh = [i for i in items if i.source_id[:255] not in known]
        out += fresh
        # WeChat does not promise the list is newest first: stop at a page with nothing new.
        if not fresh or (page + 1) * PAGE >= total:
            break
    return out


async def _candidates(account: Account, now: datetime) -> list[Candidate]:
    """Approved versions of the account not yet recorded, and those recorded lately."""
    drafts = await Draft.filter(account_id=account.id).filter(
        status__in=(DraftStatus.APPROVED, DraftStatus.PUBLISHED), updated_at__gte=now - RECENT)
    if not drafts:
        return []
    ids = [d.id for d in drafts]
    versions = {(v.draft_id, v.number): v for v in await DraftVersion.filter(draft_id__in=ids)}
    links: dict[int, list[str]] = {}
    for version_id, url in await Attachment.filter(
            version_id__in=[v.id for v in versions.values()], kind=AttachmentKind.LINK
    ).values_list("version_id", "url"):
        links.setdefault(int(version_id), []).append(str(url))
    for draft_id, url in await Publication.filter(draft_id__in=ids).values_list("draft_id", "url"):
        links.setdefault(-int(draft_id), []).append(str(url))  # where it was recorded as published
    decisions = {d.draft_id: d for d in await Decision.filter(
        draft_id__in=[d.id for d in drafts], outcome=Outcome.APPROVE).order_by("version")}
    out = []
    for draft in drafts:
        version = versions.get((draft.id, draft.version))
        decision = decisions.get(draft.id)
        if version is None or decision is None or decision.version != draft.version:
            continue
        out.append(Candidate(draft.id, draft.version, version.title, version.text,
                             tuple(links.get(version.id, []) + links.get(-draft.id, [])),
                             decision.decided_at))
    return out


async def watch_publications(now: datetime, deps: Deps) -> int:
    """One run: the accounts due (not read for ``EVERY``, less half a sweep interval so that a run
    a few seconds early does not leave them to the next), least recently read first, at most
    ``per_run`` of them — so every account is read once per ``EVERY`` — are read ``READ_AT_ONCE``
    at a time, outside any transaction and any lock, as reading is network calls; then, ``CHUNK``
    accounts at a time, what is new is written under the sweep's lock (another instance's run
    writes nothing; ``SeenItem``'s unique key would refuse a second copy anyway). Accounts with
    nothing new cost one query per page read and share one ``UPDATE``. Working hours only, as
    every sweep. Returns how many items were reported as published without approval.

    The watch takes its lock per chunk, not for the run (``@sweep`` would hold it across the
    network reads), so it opens and is measured here: a run with a source to read counts in
    ``xmt_sweep_duration_seconds{sweep="watch"}`` as the other sweeps' runs do."""
    if not deps.calendar.is_open(now):
        return 0
    if deps.publisher is None and deps.fetch_feed is None:
        return 0
    return await measured(KIND, deps, _watch(now, deps))


async def _watch(now: datetime, deps: Deps) -> int:
    interval = timedelta(minutes=deps.settings.sweep_every_minutes)
    due_before = now - EVERY + interval / 2
    # The accounts with a source this process can read, chosen in the database: at 150,000
    # accounts reading every row to pick them in Python cost 1.8 s a run (issue 19). The keys'
    # JSON is matched as text (the same on SQLite and PostgreSQL); an account whose keys are
    # empty is read as having no source (``_read``). One statement: the ids due, never read
    # first, then least recently read (the CASE: NULLs sort first on SQLite, last on PostgreSQL),
    # each with how many accounts are watchable at all (``per_run``).
    sources = []
    if deps.publisher is not None:
        sources.append("""(CAST({t}."wechat" AS VARCHAR) LIKE '%"app_id"%' """
                       """AND CAST({t}."wechat" AS VARCHAR) LIKE '%"app_secret"%')""")
    if deps.fetch_feed is not None:
        sources.append("""{t}."feed_url" <> ''""")
    if not sources:
        return 0
    live = ", ".join(f"'{s.value}'" for s in AccountStatus if s.live)
    watchable = f'({{t}}."status" IN ({live}) AND ({" OR ".join(sources)}))'
    q = Params()
    sql = (f'SELECT a."id", (SELECT COUNT(*) FROM "account" w WHERE {watchable.format(t="w")}) AS n '  # noqa: S608
           f'FROM "account" a WHERE {watchable.format(t="a")} AND (a."watched_at" IS NULL OR '
           f'{q.at("a.watched_at")} <= {q(due_before)}) ORDER BY '
           f'CASE WHEN a."watched_at" IS NULL THEN 0 ELSE 1 END, {q.at("a.watched_at")}, a."id"')
    rows = await q.rows(sql)
    total = int(rows[0]["n"]) if rows else 0
    ids = [int(row["id"]) for row in rows[:per_run(total, interval)]]
    reported = read = failed = fresh = 0
    started = time.monotonic()
    gate = asyncio.Semaphore(READ_AT_ONCE)

    async def one(account: Account) -> tuple[list[tuple[str, PublishedItem]], bool]:
        async with gate:
            return await _read(account, deps)

    for n in range(0, len(ids), CHUNK):
        chunk = ids[n:n + CHUNK]
        order = {i: k for k, i in enumerate(chunk)}
        accounts = sorted(await Account.filter(id__in=chunk), key=lambda a: order[a.id])
        results = await asyncio.gather(*(one(a) for a in accounts))
        read += len(accounts)
        failed += sum(1 for _, ok in results if not ok)
        fresh += sum(len(items) for items, _ in results)
        async with sweep_lock(KIND) as mine:
            if not mine:
                return reported
            quiet = [a.id for a, (items, ok) in zip(accounts, results, strict=True) if ok and not items]
            if quiet:
                await Account.filter(id__in=quiet).update(watched_at=now)
            for account, (items, ok) in zip(accounts, results, strict=True):
                if not ok or not items:
                    continue
                try:
                    reported += await _write(account, items, now, deps, baseline=account.watched_at is None)
                except Exception:  # one account's items must not stop the others
                    log.exception("watch of %s failed", account.name)
    if ids:
        log.info("watch: %d accounts read (%d failed) of %d watchable, %d new items, %d reported, %.1f s",
                 read, failed, total, fresh, reported, time.monotonic() - started)
    return reported


async def watch_account_now(account_id: int, now: datetime, deps: Deps) -> int:
    """One account read and written at once, outside the hourly order and the working hours (the
    simulator's 公众号后台直接发布: what went out is seen right away). The same rules as a run: a
    first read is the baseline, a source that fails leaves the account for the next run. Returns
    how many items were reported as published without approval."""
    account = await Account.get_or_none(id=account_id)
    if account is None or not account.status.live:
        return 0
    items, ok = await _read(account, deps)
    if not ok:
        return 0
    if not items:
        await Account.filter(id=account.id).update(watched_at=now)
        return 0
    return await _write(account, items, now, deps, baseline=account.watched_at is None)


async def _read(account: Account, deps: Deps) -> tuple[list[tuple[str, PublishedItem]], bool]:
    """The account's new items, oldest first, and whether every source could be read (if not,
    nothing is written this run and the account is read again next run)."""
    items: list[tuple[str, PublishedItem]] = []
    try:
        if deps.publisher is not None and credentials(account) is not None:
            items += [("wechat", i) for i in await _wechat_items(deps.publisher, account)]
        if deps.fetch_feed is not None and account.feed_url:
            entries = parse_feed(await deps.fetch_feed(account.feed_url), base_url=account.feed_url)
            known = await _known(account.id, [i.source_id for i in entries])
            items += [("feed", i) for i in entries if i.source_id[:255] not in known]
    except (PublishError, FeedError, OSError, TimeoutError) as exc:
        log.warning("watch %s: a source could not be read (%s)", account.name, exc)
        return [], False
    return list(reversed(items)), True


async def _write(account: Account, items: list[tuple[str, PublishedItem]], now: datetime, deps: Deps,
                 *, baseline: bool) -> int:
    """The account's new items in one transaction: judged without a query (matching, the word
    lists), stored in one ``INSERT``, then only the items that call for it (a match to record, an
    alert to send) cost more queries."""
    candidates = await _candidates(account, now)
    screener = deps.wordlists.screener()
    unique: dict[str, tuple[str, PublishedItem]] = {}
    for source, item in items:  # a source id twice in one read (a feed repeating itself): once
        unique.setdefault(item.source_id[:255], (source, item))
    reported = 0
    async with in_transaction():
        # Read again under the lock: another instance may have written since this run read.
        known = await _known(account.id, list(unique))
        judged = []
        for key, (source, item) in unique.items():
            if key in known:
                continue
            found = match(item, list(candidates), now=now)
            hits = screener.screen(f"{item.title}\n{item.text}")
            judged.append((key, source, item, found, hits))
        if judged:
            await SeenItem.bulk_create([SeenItem(
                account_id=account.id, source_id=key, source=source, title=item.title[:255],
                url=item.url[:2048], published_at=item.published_at, seen_at=now,
                draft_id=found.candidate.draft_id if found else None,
                matched_by=found.by if found else "", score=found.score if found else None,
                screening=[{"word": h.word, "level": h.level.value, "context": h.context} for h in hits])
                for key, source, item, found, hits in judged])
        acting = [j for j in judged if j[3] is not None or not baseline
                  or any(h.level == Level.BLOCK for h in j[4])]
        rows = {str(r.source_id): r for r in await SeenItem.filter(
            account_id=account.id, source_id__in=[j[0] for j in acting])} if acting else {}
        people: list[Person] | None = None
        for key, _, item, found, hits in acting:
            if people is None and (found is None or any(h.level == Level.BLOCK for h in hits)):
                people = await _told(account, await Department.get(id=account.department_id))
            reported += await _one(account, rows[key], item, found, hits, candidates, people or [],
                                   now, deps, baseline=baseline)
        await Account.filter(id=account.id).update(watched_at=now)
    return reported


async def _one(account: Account, row: SeenItem, item: PublishedItem, found: Match | None,
               hits: Sequence[Hit], candidates: Sequence[Candidate], people: Sequence[Person],
               now: datetime, deps: Deps, *, baseline: bool) -> int:
    at = item.published_at or now
    if found is not None:
        draft = await Draft.get(id=found.candidate.draft_id)
        if draft.status == DraftStatus.APPROVED and draft.version == found.candidate.version:
            view = await load_view(draft)
            author = await Person.get(id=draft.author_id)
            digest = view.version.content_hash
            if await record(view, digest, item.url, recorded_by_id=author.id, actor="watch", at=at,
                            now=now, outbox=deps.outbox, source="seen"):
                await PublishJob.filter(draft_id=draft.id, status=JobStatus.UNCERTAIN).update(
                    status=JobStatus.PUBLISHED, finished_at=now, article_url=item.url[:2048])
    blocked = sorted({h.word for h in hits if h.level == Level.BLOCK})
    if blocked:
        for person in people:
            await deps.outbox.send(person, Text(texts.published_blocked(
                account.name, item.title, item.url, blocked)),
                key=f"watch:blocked:{row.id}:{person.id}", now=now)
        await audit.record("watch", "published_blocked", account.name,
                           {"item": row.id, "words": blocked}, now=now)
    if found is not None or baseline:
        return 0
    when = texts.md_hm(deps.calendar.local(at))
    near = nearest(item, list(candidates))
    like = ""
    if near is not None:
        like = texts.unapproved_near((await Draft.get(id=near.candidate.draft_id)).ref, list(near.changes))
    for person in people:
        await deps.outbox.send(person, Text(texts.unapproved_publication(
            account.name, item.title, item.url, when) + like),
            key=f"watch:unapproved:{row.id}:{person.id}", now=now)
    await audit.record("watch", "unapproved_publication", account.name,
                       {"item": row.id, "title": item.title[:100], "url": item.url[:300]}, now=now)
    return 1


async def _told(account: Account, department: Department) -> list[Person]:
    """The department head, the account's 主管领导 and the Information Center, once each."""
    ids = [i for i in (department.head_id, account.leader_id) if i]
    people = list(await Person.filter(id__in=ids, active=True).order_by("id"))
    for admin in await info_center_admins():
        if admin.id not in {p.id for p in people}:
            people.append(admin)
    return people
