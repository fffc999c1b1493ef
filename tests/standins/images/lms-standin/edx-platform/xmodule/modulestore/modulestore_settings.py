"""STAND-IN of edx-platform's xmodule.modulestore.modulestore_settings: Tutor's rendered
settings call update_module_store_settings(); the stand-in has no modulestore."""


def update_module_store_settings(module_store_setting, doc_store_settings=None, **kwargs):
    module_store_setting.setdefault("default", {}).setdefault("OPTIONS", {}).setdefault("stores", [])
