from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# Issue 18: audit_event (action, at). The console's overview counts the year's publications
# without approval and reads each inquiry's first deadline commitment from the trail; at a
# million rows each was a full scan (88 ms and 130-350 ms on SQLite; about 1 ms with the index:
# bench/console.py).

class Migration(migrations.Migration):
    dependencies = [('models', '0014_console')]

    initial = False

    operations = [
        ops.AddIndex(model_name='AuditEvent', index=Index(fields=['action', 'at'])),
    ]
