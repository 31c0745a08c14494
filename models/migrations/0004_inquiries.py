from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.inquiries import InquiryStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_governance')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Inquiry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='inquiries', on_delete=OnDelete.RESTRICT)),
                ('department_id', fields.IntField()),
                ('source', fields.CharField(max_length=32)),
                ('asker', fields.CharField(default='', max_length=128)),
                ('text', fields.TextField(unique=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('registered_by_id', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=InquiryStatus.OPEN, description='OPEN: open\nCLAIMED: claimed\nANSWERED: answered', enum_type=InquiryStatus, max_length=8)),
                ('owner_id', fields.IntField(null=True)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_by_id', fields.IntField(null=True)),
                ('answer', fields.TextField(default='', unique=False)),
                ('relay', fields.CharField(default='', max_length=12)),
            ],
            options={'table': 'inquiry', 'app': 'models', 'indexes': [Index(fields=['status', 'received_at']), Index(fields=['department_id', 'received_at'])], 'pk_attr': 'id', 'table_description': 'One question from a member of the public, bound to an account and so to a department.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='wechat',
            field=fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
