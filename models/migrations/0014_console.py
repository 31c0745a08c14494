from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Issue 18: the console's one-time sign-in links and its cookie key (models/console.py).

class Migration(migrations.Migration):
    dependencies = [('models', '0013_wechat_tokens')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsoleLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('person_id', fields.IntField(db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_link', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time sign-in link to the console, bound to one person.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsoleKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=32)),
                ('value', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The console cookie key shared by every instance (when not configured).'},
            bases=['Model'],
        ),
    ]
