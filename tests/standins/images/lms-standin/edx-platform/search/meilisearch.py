"""STAND-IN of edx-search's search.meilisearch: Tutor's lms init runs
`./manage.py lms shell -c "import search.meilisearch; search.meilisearch.create_indexes()"`.
This creates nothing: the stand-in LMS has no courseware to index."""


def create_indexes(*args, **kwargs):
    print("search.meilisearch STAND-IN: create_indexes() is a no-op (no courseware in the stand-in)")
