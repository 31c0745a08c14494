from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

# The local chat simulator's messages, so that a restarted demo keeps its chats (issue 14). Only
# the simulator writes here; ids are given by the channel.

class Migration(migrations.Migration):
    dependencies = [('models', '0008_review_closure_verification')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SimMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seq', fields.BigIntField(db_index=True)),
                ('address', fields.CharField(max_length=128)),
                ('sender', fields.CharField(max_length=128)),
                ('body', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sim_message', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A message shown in the local chat simulator, kept so a restarted demo keeps its chats.'},
            bases=['Model'],
        ),
    ]
