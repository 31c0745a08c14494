from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.accounts import ApplicationStatus, ReviewStatus
from models.org import Platform
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_reminders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountApplication',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=128)),
                ('platform', fields.CharEnumField(description='WECHAT: wechat\nTOUTIAO: toutiao\nWEIBO: weibo\nAPP: app', enum_type=Platform, max_length=16)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('applicant', fields.ForeignKeyField('models.Person', source_field='applicant_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('leader_id', fields.IntField(null=True)),
                ('admin_id', fields.IntField(null=True)),
                ('form', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=ApplicationStatus.SUBMITTED, description='SUBMITTED: submitted\nATTESTED: attested\nAPPROVED: approved\nREFUSED: refused\nREJECTED: rejected', enum_type=ApplicationStatus, max_length=12)),
                ('head_id', fields.IntField(null=True)),
                ('head_decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ic_admin_id', fields.IntField(null=True)),
                ('ic_decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(default='', unique=False)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_application', 'app': 'models', 'indexes': [Index(fields=['status', 'id'])], 'pk_attr': 'id', 'table_description': 'Form 1 (新媒体平台申请表) as submitted, and the two decisions on it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharField(max_length=8)),
                ('old_person_id', fields.IntField(null=True)),
                ('new_person_id', fields.IntField()),
                ('requested_by_id', fields.IntField()),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('filed_by_id', fields.IntField(null=True)),
                ('filed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_change', 'app': 'models', 'pk_attr': 'id', 'table_description': "A change of an account's leader or administrator, re-filed with the Information Center."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountFiling',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='filings', on_delete=OnDelete.CASCADE)),
                ('form', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('qr_code', fields.BinaryField(null=True)),
                ('submitted_by_id', fields.IntField()),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acknowledged_by_id', fields.IntField(null=True)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('returned', fields.BooleanField(default=False)),
            ],
            options={'table': 'account_filing', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Form 2 (新媒体平台备案登记表) as submitted, copied onto the account once acknowledged.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('year', fields.SmallIntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('file_name', fields.CharField(default='', max_length=255)),
                ('file_data', fields.BinaryField(null=True)),
                ('submitted_by_id', fields.IntField()),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=ReviewStatus.SUBMITTED, description='SUBMITTED: submitted\nPASSED: passed\nFAILED: failed', enum_type=ReviewStatus, max_length=10)),
                ('decided_by_id', fields.IntField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'review_report', 'app': 'models', 'indexes': [Index(fields=['year', 'account_id'])], 'pk_attr': 'id', 'table_description': "An account's annual review report (Art. 5) and the Information Center's verdict."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='closed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='closure_evidence',
            field=fields.CharField(default='', max_length=2048),
        ),
        ops.AddField(
            model_name='Account',
            name='closure_image',
            field=fields.BinaryField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='description',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='Account',
            name='filed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='followers',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='opened_on',
            field=fields.CharField(default='', max_length=32),
        ),
        ops.AddField(
            model_name='Account',
            name='platform_account_id',
            field=fields.CharField(default='', max_length=128),
        ),
        ops.AddField(
            model_name='Account',
            name='qr_code',
            field=fields.BinaryField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
