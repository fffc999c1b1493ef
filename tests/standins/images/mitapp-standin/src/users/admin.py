from django.contrib import admin

from users.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    # Django's own UserAdmin lists AbstractUser's first/last name and date_joined, which neither
    # app's User has.
    list_display = ("username", "email", "name", "is_staff", "is_active")
    search_fields = ("username", "email", "name")
