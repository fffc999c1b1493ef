from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ImportedCourse",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("course_id", models.CharField(max_length=255, unique=True)),
                ("org", models.CharField(max_length=255)),
                ("number", models.CharField(max_length=255)),
                ("run", models.CharField(max_length=255)),
                ("display_name", models.CharField(max_length=255)),
                ("start", models.DateTimeField(null=True)),
                ("enrollment_start", models.DateTimeField(null=True)),
                ("self_paced", models.BooleanField(default=False)),
                ("blocks", models.JSONField(default=list)),
            ],
        ),
    ]
