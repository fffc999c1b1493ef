from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses_standin", "0002_courseenrollment"),
    ]

    operations = [
        migrations.AddField(
            model_name="importedcourse",
            name="enrollment_end",
            field=models.DateTimeField(null=True),
        ),
    ]
