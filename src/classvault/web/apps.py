from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "classvault.web"
    label = "web"
