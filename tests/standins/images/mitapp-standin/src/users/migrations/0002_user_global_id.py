from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("users", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="global_id",
            field=models.CharField(blank=True, db_index=True, default="", max_length=255),
        ),
    ]
