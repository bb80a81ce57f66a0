from django.urls import path

from billing import views, webhooks

app_name = "billing"

urlpatterns = [
    path("", views.billing_page, name="billing"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe-webhook"),
]
