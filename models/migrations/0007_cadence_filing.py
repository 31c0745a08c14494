from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.org import AccountStatus
from tortoise import fields

# Art. 3, 4, 11. Account.status gains "unfiled" (an existing account imported without a filing
# date, awaiting 备案); Account.cadence_reason records why an account posts less often than every
# 3 working days.
# The status column itself does not change (VARCHAR(16), no constraint on its values): only the
# choices in the field's description do. Tortoise would still rebuild the table on SQLite for that,
# and dropping the old "account" table fails on the tables that reference it (inquiry, RESTRICT)
# or silently deletes their rows (filings, CASCADE). So the change is made in the migration state
# only: nothing touches the database for it, on SQLite or PostgreSQL.
# Accounts the organisation file created before this release were stamped filed at the moment of
# import (filed_at == created_at, no application, no acknowledged filing): that was never a
# filing. They become "unfiled" with no filing date; re-importing the file with each account's
# real `filed_on` puts them back into operation on their true date.
UNSTAMP = [
    "UPDATE account SET status = 'unfiled', filed_at = NULL WHERE status = 'operating' "
    "AND filed_at IS NOT NULL AND filed_at = created_at "
    "AND NOT EXISTS (SELECT 1 FROM account_application p WHERE p.account_id = account.id) "
    "AND NOT EXISTS (SELECT 1 FROM account_filing f WHERE f.account_id = account.id "
    "AND f.acknowledged_at IS NOT NULL)",
]


class AlterFieldInStateOnly(ops.AlterField):
    """An AlterField that updates the migration state and leaves the table alone."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0006_inquiry_source')]

    initial = False

    operations = [
        AlterFieldInStateOnly(
            model_name='Account',
            name='status',
            field=fields.CharEnumField(default=AccountStatus.OPERATING, description='APPLIED: applied\nAPPROVED: approved\nUNFILED: unfiled\nOPERATING: operating\nMUST_STOP: must_stop\nSUSPENDED: suspended\nCLOSED: closed', enum_type=AccountStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='cadence_reason',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.RunSQL(UNSTAMP, reverse_sql=[]),
    ]
