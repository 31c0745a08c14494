from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Reminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=255)),
                ('kind', fields.CharField(max_length=32)),
                ('subject', fields.CharField(max_length=64)),
                ('step', fields.CharField(max_length=32)),
                ('period', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reminder', 'app': 'models', 'indexes': [Index(fields=['kind', 'subject'])], 'pk_attr': 'id', 'table_description': 'One reminder per step of a ladder: written with its outbox rows in one transaction.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Account',
            name='created_at',
            field=fields.DatetimeField(auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='last_published_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
