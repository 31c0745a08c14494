from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Account.refile: the roles (admin, leader) whose holder left the organisation or moved to another
# department, as the directory told (issue 16, Art. 4 变更备案), until a change of that role is
# filed. Empty for every account from before.

class Migration(migrations.Migration):
    dependencies = [('models', '0010_attachment_text')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='refile',
            field=fields.JSONField(default=dict, db_default='{}'),
        ),
    ]
