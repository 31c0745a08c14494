from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

# Art. 4, 5. Account: who verified it and the evidence (link or screenshot); since when and why it
# must stop; a closure asked for (by whom, when, why) and who confirmed it. ReviewReport: the
# bot's own figures for the year, frozen at submission. Columns only, all nullable or with a
# database default, so existing rows need no rewrite. Accounts already verified or must-stop keep
# their state: an empty stop_reason reads as "no report by the deadline", the only cause before.

class Migration(migrations.Migration):
    dependencies = [('models', '0007_cadence_filing')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='closed_by_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='closure_reason',
            field=fields.CharField(default='', db_default='', max_length=500),
        ),
        ops.AddField(
            model_name='Account',
            name='closure_requested_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='closure_requested_by_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='stop_reason',
            field=fields.CharField(default='', db_default='', max_length=500),
        ),
        ops.AddField(
            model_name='Account',
            name='stopped_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='verified_by_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='verify_evidence',
            field=fields.CharField(default='', db_default='', max_length=2048),
        ),
        ops.AddField(
            model_name='Account',
            name='verify_image',
            field=fields.BinaryField(null=True),
        ),
        ops.AddField(
            model_name='ReviewReport',
            name='figures',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
