from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Issue 17, point 5: WechatToken, the access token of each WeChat AppID shared by every bot
# instance on the database (models/tokens.py), with its fetch lease.

class Migration(migrations.Migration):
    dependencies = [('models', '0012_publishing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WechatToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('app_id', fields.CharField(unique=True, max_length=64)),
                ('token', fields.CharField(default='', max_length=1024)),
                ('generation', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('fetched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease_owner', fields.CharField(default='', max_length=32)),
            ],
            options={'table': 'wechat_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The current access token of one WeChat AppID, shared by every bot instance.'},
            bases=['Model'],
        ),
    ]
