"""Art. 11 (1–3 天发布一次为基础): the cadence ladder in working days since an account's start
(its filing, its arrival in the bot, or its last publication, whichever is latest). One rule for
the cadence sweep (``schedules.cadence``: who is reminded when) and the console (``console.queries``:
which accounts show late or zombie), so the two cannot disagree."""

from __future__ import annotations


def thresholds(every: int, late_days: int, zombie_days: int) -> tuple[tuple[str, int], ...]:
    """The ladder's steps: due after ``every`` working days, late ``late_days`` later, zombie at
    ``zombie_days`` (never before it is late)."""
    late = every + late_days
    return (("due", every), ("late", late), ("zombie", max(zombie_days, late + 1)))
