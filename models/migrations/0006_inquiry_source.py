from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Inquiry.source 32 -> 128: "wechat:" + a 28-character openid did not fit (PostgreSQL refused the
# row, so a follower's message was lost); 128 fits a channel and any platform id.
# On SQLite tortoise rebuilds the table for AlterField and does not re-create its indexes: the
# RunSQL puts them back (IF NOT EXISTS: a no-op on PostgreSQL, where ALTER COLUMN keeps them).
INDEXES = [
    'CREATE INDEX IF NOT EXISTS "idx_inquiry_status_1dd310" ON "inquiry" ("status", "received_at")',
    'CREATE INDEX IF NOT EXISTS "idx_inquiry_departm_038475" ON "inquiry" ("department_id", "received_at")',
]


class Migration(migrations.Migration):
    dependencies = [('models', '0005_screening')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Inquiry',
            name='source',
            field=fields.CharField(max_length=128),
        ),
        ops.RunSQL(INDEXES, reverse_sql=[]),
    ]
