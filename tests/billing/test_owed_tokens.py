"""Tokens owed: a refund that finds its tokens spent takes what is left and records the rest as owed,
on the purchase and in the wallet's total; while anything is owed no paid work starts (an AI note, a
chat answer, a video's processing are refused with the same clear message), and the next tokens
credited pay it off first, visibly in the ledger, which always sums to the balance.

Purchases and refunds are made on localstripe and delivered signed to the webhook; localstripe never
emits `charge.refunded`, so that body is built around its refunded charge (tests/billing/stripe_fake.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import stripe
from channels.db import database_sync_to_async
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.guests import Viewer
from accounts.models import User
from billing.holds import hold_create, hold_release
from billing.ledger import (
    InsufficientTokens,
    TokensOwed,
    ledger_adjust,
    ledger_debit,
    ledger_grant,
    ledger_take_back,
    wallet_grant_for_period,
)
from billing.models import Hold, LedgerEntry, PackPurchase, TokenPack, Wallet
from billing.selectors import tokens_owed_for_user
from billing.views import insufficient_tokens_message
from chat import services as chat_services
from chat.models import Conversation, Message
from notes.models import Note
from sage.synthetic_media import make_video as make_video_file
from tests.at_once import at_once
from tests.billing.stripe_fake import deliver, event_from_fake, paid_pack_intent, refund_on_fake
from tests.chat.helpers import open_socket
from tests.factories import TokenPackFactory, TranscriptFactory, VideoFactory, empty_wallet_user
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401 -- registers `gemini_stub` (AI notes are paid with it)
from videos.models import Upload, Video
from videos.pipeline import runner
from videos.pipeline.steps import StepFailed, ensure_hold

pytestmark = pytest.mark.django_db


def wallet_of(user: User) -> Wallet:
    return Wallet.objects.get(user=user)


def ledger_sum(user: User) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).aggregate(total=Sum("amount"))["total"] or 0


def bought_and_spent(stripe_fake: stripe.StripeClient, *, tokens: int, amount: int, spent: int) -> tuple[User, str]:
    """A person who bought a pack on the fake (credited by its signed event) and spent `spent` of it."""
    user, pack = empty_wallet_user(), TokenPackFactory(tokens=tokens, amount=amount)
    intent = paid_pack_intent(stripe_fake, user=user, pack=pack)
    assert deliver(event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])).status_code
    if spent:
        ledger_debit(user=user, amount=spent, key=f"spent:{user.pk}", memo="a video")
    return user, intent["id"]


def test_a_refund_after_spending_empties_the_balance_and_records_the_rest_as_owed(stripe_fake) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=3600, amount=900, spent=1000)

    refund = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id)
    deliver(refund)
    deliver(refund)  # a redelivery owes nothing more

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (0, 1000)
    assert tokens_owed_for_user(user) == 1000
    purchase = PackPurchase.objects.get()
    assert (purchase.tokens_taken_back, purchase.tokens_owed) == (2600, 1000)
    taken = LedgerEntry.objects.get(wallet=wallet, idempotency_key=f"stripe:refund:{payment_intent_id}:900")
    assert taken.amount == -2600
    assert "1,000 already spent and now owed" in taken.memo
    assert ledger_sum(user) == wallet.balance == 0


def test_a_refund_of_a_pack_spent_in_full_writes_a_zero_entry_that_keys_the_owed_part(stripe_fake) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=500, amount=500, spent=500)

    refund = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id)
    for _ in range(3):
        deliver(refund)

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (0, 500)
    entry = LedgerEntry.objects.get(wallet=wallet, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert (entry.amount, entry.balance_after) == (0, 0)


def test_partial_refunds_in_several_events_owe_their_share_once_each(stripe_fake) -> None:
    # 1,000 tokens for $10.00; 700 spent. Refunds of $2.50, $2.50, $5.00: each takes back 250, 250,
    # 500 tokens' worth; the balance (300) covers the first and part of the second, the rest is owed.
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=1000, amount=1000, spent=700)
    first = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id, amount=250)
    second = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id, amount=250)
    third = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id, amount=500)

    deliver(first)
    assert (wallet_of(user).balance, wallet_of(user).tokens_owed) == (50, 0)
    deliver(second)
    assert (wallet_of(user).balance, wallet_of(user).tokens_owed) == (0, 200)
    deliver(first)  # a stale running total: covered already
    deliver(third)
    deliver(second)

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (0, 700)
    purchase = PackPurchase.objects.get()
    assert (purchase.amount_refunded, purchase.tokens_taken_back, purchase.tokens_owed) == (1000, 300, 700)
    assert ledger_sum(user) == 0


def refused_everywhere(user: User, settings) -> None:
    """Every kind of paid work is refused with the owed message, and nothing is written."""
    settings.TOKEN_COST_AI_NOTE = 5
    settings.TOKEN_COST_CHAT_ANSWER = 1
    owed = wallet_of(user).tokens_owed
    message = (
        f"{owed:,} tokens are owed from a refund or dispute (tokens already spent were taken back), so new paid "
        "work is paused until they are paid off. Buying tokens or your next plan grant settles them."
    )
    entries_before = LedgerEntry.objects.filter(wallet__user=user).count()

    # An AI note through the API: a 402 in the error shape, and no note.
    video = VideoFactory(owner=user, title="Bread at home", status=Video.Status.READY, duration=120.0)
    TranscriptFactory(video=video, lines=[(0.0, 8.0, "The baker kneads the dough.")])
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(f"/api/v1/videos/{video.pk}/notes", {"start": 2}, format="json")
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("tokens_owed", message)
    # Like any 402: buying tokens settles it; the link opens the pack that covers what is owed.
    pack = TokenPack.objects.get()
    assert error["buy_url"].endswith(f"/billing/?pack={pack.pk}&short={owed}#buy-tokens")
    assert error["tokens"]["owed"] == owed
    assert not Note.objects.filter(video=video).exists()

    # A chat question: refused before anything is written or counted.
    viewer = Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id)
    conversation = chat_services.conversation_create(viewer=viewer)
    with pytest.raises(TokensOwed) as chat_refusal:
        chat_services.answer_begin(viewer=viewer, conversation=conversation, text="What is kneading?")
    assert chat_refusal.value.message == message
    assert isinstance(chat_refusal.value, InsufficientTokens)  # handled wherever a short balance is
    assert not Message.objects.filter(conversation=conversation).exists()
    assert Conversation.objects.get(pk=conversation.pk).title == ""

    # A video's processing: the step fails with the same sentence, and no hold is taken.
    upload = VideoFactory(owner=user, title="Rye", status=Video.Status.PROCESSING, duration=30.0)
    with pytest.raises(StepFailed) as step:
        ensure_hold(upload)
    assert (step.value.code, step.value.message) == ("tokens_owed", message)
    assert not Hold.objects.filter(wallet__user=user, ref_id=str(upload.pk)).exists()

    # A plain debit too.
    with pytest.raises(TokensOwed):
        ledger_debit(user=user, amount=1, key=f"refused:{user.pk}", memo="refused")

    assert LedgerEntry.objects.filter(wallet__user=user).count() == entries_before
    assert wallet_of(user).tokens_owed == owed


def test_while_tokens_are_owed_notes_chat_and_processing_are_refused_with_the_clear_message(
    stripe_fake, settings, gemini_stub
) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=1000, amount=1000, spent=400)
    deliver(refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id))
    # An operator's correction moves exactly what it says (grants pay off what is owed; see below), so
    # the balance rises while the debt stays: still refused.
    ledger_adjust(user=user, amount=50, key=f"correction:{user.pk}", memo="goodwill")
    assert (wallet_of(user).balance, wallet_of(user).tokens_owed) == (50, 400)

    refused_everywhere(user, settings)

    assert wallet_of(user).balance == 50


def test_a_grant_afterwards_pays_off_what_is_owed_first_then_the_balance_gets_the_rest(stripe_fake) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=1000, amount=1000, spent=600)
    deliver(refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id))
    assert wallet_of(user).tokens_owed == 600

    # A second pack, bought on the fake: it pays the 600 first; 400 of its 1,000 reach the balance.
    intent = paid_pack_intent(stripe_fake, user=user, pack=TokenPackFactory(tokens=1000, amount=1000))
    event = event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])
    deliver(event)
    deliver(event)  # replayed: nothing paid twice

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (400, 0)
    credit = LedgerEntry.objects.get(idempotency_key=f"stripe:payment_intent:{intent['id']}")
    settling = LedgerEntry.objects.get(idempotency_key=f"owed:stripe:payment_intent:{intent['id']}")
    assert credit.amount == 1000  # the credit records all of it
    assert (settling.kind, settling.amount, settling.balance_after) == (LedgerEntry.Kind.ADJUSTMENT, -600, 400)
    assert settling.memo == "600 tokens owed (from a refund or dispute) paid off"
    assert ledger_sum(user) == wallet.balance
    # Paid work starts again.
    ledger_debit(user=user, amount=10, key=f"after:{user.pk}", memo="work")


def test_a_grant_smaller_than_the_debt_pays_what_it_can_and_work_stays_refused(settings) -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=300, key="pack", memo="pack")
    ledger_debit(user=user, amount=300, key="spent", memo="spent")
    ledger_take_back(user=user, up_to=300, key="refund", memo="Refund")

    ledger_grant(user=user, amount=120, key="operator", memo="Operator grant")

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (0, 180)
    assert LedgerEntry.objects.get(idempotency_key="owed:operator").memo == (
        "120 tokens owed (from a refund or dispute) paid off; 180 still owed"
    )
    with pytest.raises(TokensOwed) as refused:
        hold_create(user=user, amount=1, key="work", memo="work")
    assert refused.value.owed == 180 and refused.value.status == 402
    assert ledger_sum(user) == 0


def test_the_monthly_grant_pays_off_what_is_owed_first() -> None:
    user = empty_wallet_user()
    wallet = wallet_of(user)
    monthly = wallet.plan.monthly_tokens
    assert monthly > 0
    ledger_grant(user=user, amount=monthly, key="pack", memo="pack")
    ledger_debit(user=user, amount=monthly, key="spent", memo="spent")
    ledger_take_back(user=user, up_to=100, key="refund", memo="Refund")
    assert wallet_of(user).tokens_owed == 100

    next_month = dt.date(2099, 1, 1)
    wallet_grant_for_period(wallet_id=wallet.pk, period=next_month)
    wallet_grant_for_period(wallet_id=wallet.pk, period=next_month)  # once per period

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (monthly - 100, 0)
    assert ledger_sum(user) == wallet.balance


def test_tokens_a_released_hold_gives_back_pay_off_what_is_owed(settings) -> None:
    # Work was on hold when the refund came: the held tokens were spent as far as the refund could
    # tell, so they are owed; when the work fails and its hold is released, they pay that off.
    user = empty_wallet_user()
    ledger_grant(user=user, amount=1000, key="pack", memo="pack")
    hold = hold_create(user=user, amount=600, key="video", memo="a video")
    ledger_take_back(user=user, up_to=1000, key="refund", memo="Refund")
    assert (wallet_of(user).balance, wallet_of(user).tokens_owed) == (0, 600)

    hold_release(hold=hold)
    hold_release(hold=hold)

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (0, 0)
    assert ledger_sum(user) == 0


def test_a_replayed_hold_is_returned_while_tokens_are_owed_but_a_new_one_is_refused() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="pack", memo="pack")
    hold = hold_create(user=user, amount=60, key="started", memo="started before the refund")
    ledger_take_back(user=user, up_to=100, key="refund", memo="Refund")

    assert hold_create(user=user, amount=60, key="started").pk == hold.pk
    with pytest.raises(TokensOwed):
        hold_create(user=user, amount=1, key="new")


def test_a_take_back_replayed_with_its_key_owes_nothing_twice() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="pack", memo="pack")
    ledger_debit(user=user, amount=70, key="spent", memo="spent")

    first = ledger_take_back(user=user, up_to=100, key="refund", memo="Refund")
    again = ledger_take_back(user=user, up_to=100, key="refund", memo="Refund")

    assert (first.taken, first.owed, first.replayed) == (30, 70, False)
    assert (again.taken, again.owed, again.replayed) == (30, 70, True)
    assert again.entry.pk == first.entry.pk
    assert (wallet_of(user).balance, wallet_of(user).tokens_owed) == (0, 70)


def test_the_billing_page_shows_the_owed_line_only_while_tokens_are_owed(stripe_fake) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=3000, amount=900, spent=1234)
    client = Client()
    client.force_login(user)
    assert "owed" not in client.get(reverse("billing:billing")).content.decode()

    deliver(refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id))

    page = client.get(reverse("billing:billing")).content.decode()
    assert "1,234 tokens owed</strong> from a refund/dispute;" in page
    assert "new paid work is paused until they are paid off" in page

    ledger_grant(user=user, amount=2000, key="plan", memo="plan")
    page = client.get(reverse("billing:billing")).content.decode()
    assert "new paid work is paused" not in page
    assert "1,234 tokens owed (from a refund or dispute) paid off" in page  # the settling, in the history


def test_a_page_showing_a_refusal_says_what_is_owed_not_what_is_short(stripe_fake) -> None:
    shown = str(insufficient_tokens_message(TokensOwed(owed=1, needed=30, available=50)))

    assert shown.startswith("1 token is owed from a refund or dispute")
    assert "This needs" not in shown
    assert shown.endswith('<a href="/billing/#buy-tokens">Buy tokens</a>.')  # no pack on sale


def test_the_billing_api_says_how_many_tokens_are_owed(stripe_fake) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=1000, amount=1000, spent=400)
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/billing").json()["owed"] == 0

    deliver(refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id))

    body = api.get("/api/v1/billing").json()
    assert (body["balance"], body["owed"]) == (0, 400)


def test_an_upload_is_refused_before_any_byte_while_tokens_are_owed_with_the_buy_link(stripe_fake) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=1000, amount=1000, spent=400)
    deliver(refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id))
    ledger_adjust(user=user, amount=500, key=f"correction:{user.pk}", memo="goodwill")  # enough for the video
    small = TokenPackFactory(name="Small", tokens=300, amount=300)
    TokenPackFactory(name="Big", tokens=5000, amount=3000)
    api = APIClient()
    api.force_authenticate(user)

    response = api.post(
        "/api/v1/uploads", {"filename": "clip.mp4", "size": 1000, "duration_seconds": 120}, format="json"
    )

    assert response.status_code == 402, response.content
    error = response.json()["error"]
    assert error["code"] == "tokens_owed"
    assert error["message"].startswith("400 tokens are owed from a refund or dispute")
    assert error["tokens"] == {"needed": 120, "available": 500, "owed": 400, "short": 400}
    # The smallest pack covering the 400 owed (the refunded 1,000-token pack is still on sale; 300 is too few).
    assert error["buy_url"].endswith(f"/billing/?pack={TokenPack.objects.get(tokens=1000).pk}&short=400#buy-tokens")
    assert small.pk != TokenPack.objects.get(tokens=1000).pk
    assert not Upload.objects.filter(owner=user).exists()
    assert not Video.objects.filter(owner=user).exists()


@pytest.mark.django_db(transaction=True)
def test_a_refund_and_then_a_purchase_each_delivered_ten_times_at_once_move_tokens_once(stripe_fake) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=1000, amount=1000, spent=700)
    refund = refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id)

    refunds = at_once(10, lambda i: deliver(refund))

    assert [getattr(r, "status_code", r) for r in refunds] == [200] * 10
    assert (wallet_of(user).balance, wallet_of(user).tokens_owed) == (0, 700)
    assert ledger_sum(user) == 0

    intent = paid_pack_intent(stripe_fake, user=user, pack=TokenPackFactory(tokens=1000, amount=1000))
    purchase = event_from_fake(stripe_fake, type="payment_intent.succeeded", object_id=intent["id"])
    purchases = at_once(10, lambda i: deliver(purchase))

    assert [getattr(r, "status_code", r) for r in purchases] == [200] * 10
    wallet = wallet_of(user)
    assert (wallet.balance, wallet.tokens_owed) == (300, 0)
    assert LedgerEntry.objects.filter(wallet=wallet, idempotency_key__startswith="owed:").count() == 1
    assert ledger_sum(user) == wallet.balance


@pytest.mark.django_db(transaction=True)
def test_grants_racing_a_take_back_never_go_negative_and_owe_exactly_what_was_not_covered() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=500, key="pack", memo="pack")
    ledger_debit(user=user, amount=500, key="spent", memo="spent")

    def work(i: int) -> object:
        if i == 0:
            return ledger_take_back(user=user, up_to=500, key="refund", memo="Refund")
        return ledger_grant(user=user, amount=100, key=f"grant:{i}", memo="grant")

    results = at_once(10, work)

    assert not [r for r in results if isinstance(r, Exception)]
    wallet = wallet_of(user)
    # Nine grants of 100 and a take-back of 500, in whatever order: 400 left either way, nothing owed.
    assert (wallet.balance, wallet.tokens_owed) == (400, 0)
    assert ledger_sum(user) == wallet.balance


def test_an_uploaded_video_processed_while_tokens_are_owed_fails_with_the_owed_message(
    tmp_path, settings, stripe_fake
) -> None:
    user, payment_intent_id = bought_and_spent(stripe_fake, tokens=100, amount=100, spent=90)
    deliver(refund_on_fake(stripe_fake, payment_intent_id=payment_intent_id))
    ledger_adjust(user=user, amount=20, key=f"correction:{user.pk}", memo="goodwill")  # enough to pay for it
    video = VideoFactory(owner=user, title="clip", status=Video.Status.QUEUED)
    key = f"videos/{video.pk}/original.mp4"
    (tmp_path / "media").mkdir()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    make_video_file(tmp_path / "media" / "clip.mp4", seconds=3.0)
    (tmp_path / "media" / "videos" / str(video.pk)).mkdir(parents=True)
    (tmp_path / "media" / "clip.mp4").rename(tmp_path / "media" / key)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=(tmp_path / "media" / key).stat().st_size)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert (video.status, video.error_code) == (Video.Status.FAILED, "tokens_owed")
    assert video.error_message.startswith("90 tokens are owed from a refund or dispute")
    assert (wallet_of(user).balance, wallet_of(user).tokens_owed) == (20, 90)
    assert not Hold.objects.filter(wallet__user=user).exists()


@database_sync_to_async
def owing_conversation() -> tuple[User, Conversation]:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=100, key="pack", memo="pack")
    ledger_debit(user=user, amount=100, key="spent", memo="spent")
    ledger_take_back(user=user, up_to=100, key="refund", memo="Refund")
    ledger_adjust(user=user, amount=10, key="goodwill", memo="goodwill")  # enough for an answer, still owing
    video = VideoFactory(owner=user, cooking=True)
    return user, chat_services.conversation_create(
        viewer=Viewer(user=user, guest_id=None, workspace_id=user.personal_workspace_id), video=video
    )


@pytest.mark.django_db(transaction=True)
async def test_the_chat_socket_refuses_a_question_while_tokens_are_owed_with_the_owed_message() -> None:
    user, conversation = await owing_conversation()
    socket, connected, _ = await open_socket(conversation.pk, user=user)
    assert connected

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frame = await socket.receive_json_from(timeout=10)
    await socket.disconnect()

    assert frame["type"] == "error" and frame["code"] == "tokens_owed"
    assert frame["message"].startswith("100 tokens are owed from a refund or dispute")
    assert not await database_sync_to_async(Message.objects.filter(conversation=conversation).exists)()


def test_operators_see_what_a_wallet_owes_in_the_admin() -> None:
    user = empty_wallet_user()
    ledger_grant(user=user, amount=40, key="pack", memo="pack")
    ledger_debit(user=user, amount=40, key="spent", memo="spent")
    ledger_take_back(user=user, up_to=40, key="refund", memo="Refund")
    operator = Client()
    operator.force_login(User.objects.create_superuser("ops@sage.example", "pw-not-used-1"))

    listing = operator.get(reverse("admin:billing_wallet_changelist")).content.decode()
    page = operator.get(reverse("admin:billing_wallet_change", args=[wallet_of(user).pk])).content.decode()

    assert "Tokens owed" in listing
    assert "Tokens owed" in page and '<div class="readonly">40</div>' in page


@pytest.mark.django_db(transaction=True)
async def test_the_chat_socket_refusal_carries_the_figures_and_the_pack_that_covers_them(settings) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_socket", "whsec_socket"
    settings.TOKEN_COST_CHAT_ANSWER = 2
    user, conversation = await owing_conversation()  # 100 owed, 10 in the balance
    pack = await database_sync_to_async(TokenPackFactory)(name="Hundred", tokens=100, amount=199)
    await database_sync_to_async(TokenPackFactory)(name="Fifty", tokens=50, amount=99)
    socket, connected, _ = await open_socket(conversation.pk, user=user)
    assert connected

    await socket.send_json_to({"type": "message", "text": "How hot should the oven be?", "client_id": "q1"})
    frame = await socket.receive_json_from(timeout=10)
    await socket.disconnect()

    assert (frame["type"], frame["code"], frame["client_id"]) == ("error", "tokens_owed", "q1")
    assert frame["tokens"] == {"needed": 2, "available": 10, "owed": 100, "short": 100}
    assert frame["buy_url"] == f"/billing/?pack={pack.pk}&short=100#buy-tokens"
