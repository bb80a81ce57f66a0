from django.urls import path

from billing import purchase_views, receipt_views, subscription_views, views, webhooks

app_name = "billing"

urlpatterns = [
    path("", views.billing_page, name="billing"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe-webhook"),
    path("offer/", views.buy_offer, name="buy-offer"),
    path("card/setup/", purchase_views.card_setup, name="card-setup"),
    path("packs/<int:pack_id>/buy/", purchase_views.pack_buy, name="pack-buy"),
    path("payments/<str:payment_intent_id>/", purchase_views.payment_result, name="payment-result"),
    path("invoices/", subscription_views.invoices_page, name="invoices"),
    path(
        "receipts/payment/<str:payment_intent_id>/",
        receipt_views.pack_receipt_for_payment,
        name="receipt-for-payment",
    ),
    path("receipts/<slug:kind>/<int:pk>/", receipt_views.receipt_page, name="receipt"),
    path("plans/<slug:slug>/subscribe/", subscription_views.plan_subscribe, name="plan-subscribe"),
    path("plans/<slug:slug>/switch/", subscription_views.plan_switch, name="plan-switch"),
    path("plans/<slug:slug>/cancel/", subscription_views.plan_cancel, name="plan-cancel"),
    path("plans/<slug:slug>/resume/", subscription_views.plan_resume, name="plan-resume"),
]
