from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Attachment.text: the readable text of a .txt or .docx attachment, read when the file arrives
# (outside any transaction, in a worker thread) so that screening at 提交审核 reads a column
# instead of parsing the file inside the submission's transaction. NULL for other files and for
# rows from before it was kept (screening reads those files as before).

class Migration(migrations.Migration):
    dependencies = [('models', '0009_sim_message')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Attachment',
            name='text',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
