"""mitodl/mitxonline@b3c9730 openedx/tasks.py:31: the retry the create_user command queues."""

from celery import shared_task


@shared_task(acks_late=True)
def create_user_from_id(user_id):
    from django.contrib.auth import get_user_model

    from openedx import api

    api.create_user(get_user_model().objects.get(id=user_id))
