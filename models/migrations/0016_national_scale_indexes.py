from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

# Issue 19 (bench/sweeps.py --scale national: 150,000 accounts, 1.5 million drafts and inquiries):
# the sweeps pick what is due in SQL, and these let PostgreSQL answer from an index alone —
# pending drafts by submission time (approvals, digest), and which subjects a step of a period
# was sent to (the review's anti-join of every account taking part).

class Migration(migrations.Migration):
    dependencies = [('models', '0015_audit_action_index')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Draft',
            index=Index(fields=['status', 'updated_at', 'id', 'version', 'account_id']),
        ),
        ops.AddIndex(
            model_name='Reminder',
            index=Index(fields=['kind', 'step', 'period', 'subject']),
        ),
    ]
