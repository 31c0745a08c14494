from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.publishing import JobStatus
from tortoise import fields
from tortoise.indexes import Index

# Issue 17: PublishJob (an approved version published on a WeChat official account through the
# bot), SeenItem (what an account's platform or feed shows as published, matched or not),
# Account.feed_url and Publication.source ("chat" for every publication from before).

class Migration(migrations.Migration):
    dependencies = [('models', '0011_account_refile')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PublishJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('draft_id', fields.IntField(db_index=True)),
                ('version', fields.SmallIntField()),
                ('content_hash', fields.CharField(max_length=64)),
                ('account_id', fields.IntField()),
                ('requested_by_id', fields.IntField()),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=JobStatus.QUEUED, description='QUEUED: queued\nSUBMITTING: submitting\nSUBMITTED: submitted\nPUBLISHED: published\nFAILED: failed\nUNCERTAIN: uncertain', enum_type=JobStatus, max_length=12)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('publish_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('article_url', fields.CharField(default='', max_length=2048)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('last_error', fields.CharField(default='', max_length=2000)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'publish_job', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'An approved version being published on a WeChat official account through the bot.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SeenItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField()),
                ('source', fields.CharField(max_length=8)),
                ('source_id', fields.CharField(max_length=255)),
                ('title', fields.CharField(default='', max_length=255)),
                ('url', fields.CharField(default='', max_length=2048)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('draft_id', fields.IntField(null=True)),
                ('matched_by', fields.CharField(default='', max_length=8)),
                ('score', fields.FloatField(null=True)),
                ('screening', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'seen_item', 'app': 'models', 'unique_together': (('account_id', 'source_id'),), 'indexes': [Index(fields=['account_id', 'published_at'])], 'pk_attr': 'id', 'table_description': "One published item seen on an account's platform or feed."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='feed_url',
            field=fields.CharField(default='', db_default='', max_length=2048),
        ),
        ops.AddField(
            model_name='Account',
            name='watched_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Publication',
            name='source',
            field=fields.CharField(default='chat', db_default='chat', max_length=8),
        ),
    ]
