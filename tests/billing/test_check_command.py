"""`manage.py billing_check`: every wallet's balance must equal the sum of its ledger entries."""

from __future__ import annotations

import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.holds import hold_create, hold_settle
from billing.ledger import ledger_debit, ledger_grant
from billing.models import Wallet
from devtools import processes
from tests.factories import UserFactory


def run_check() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("billing_check", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_check_passes_on_a_consistent_ledger():
    users = [UserFactory() for _ in range(3)]
    ledger_grant(user=users[0], amount=100, key="promo:1", memo="grant")
    ledger_debit(user=users[1], amount=10, key="answer:1", memo="chat")
    hold = hold_create(user=users[2], amount=60, key="video:1")
    hold_settle(hold=hold, actual_amount=45)
    hold_create(user=users[2], amount=5, key="video:2")  # open holds are in the ledger too

    out, err = run_check()

    assert "All 3 wallets match their ledger." in out
    assert err == ""


@pytest.mark.django_db
def test_the_check_names_a_tampered_wallet_and_fails():
    honest = UserFactory()
    tampered = UserFactory()
    wallet = Wallet.objects.get(user=tampered)
    Wallet.objects.filter(pk=wallet.pk).update(balance=wallet.balance + 500)

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 2 wallets"):
        call_command("billing_check", stdout=out, stderr=err)

    assert f"Wallet {wallet.pk} ({tampered.email})" in err.getvalue()
    assert f"balance {wallet.balance + 500}, ledger sums to {wallet.balance}" in err.getvalue()
    assert honest.email not in err.getvalue()


@pytest.mark.django_db
def test_a_balance_below_the_ledger_is_caught_too():
    user = UserFactory()
    wallet = Wallet.objects.get(user=user)
    Wallet.objects.filter(pk=wallet.pk).update(balance=0)

    with pytest.raises(CommandError, match="1 of 1 wallets"):
        run_check()


@pytest.mark.timeout(120)
def test_the_command_exits_non_zero_as_a_process(transactional_db):
    user = UserFactory()
    command = [str(processes.VENV_BIN / "python"), "manage.py", "billing_check"]

    passed = subprocess.run(
        command, cwd=processes.BASE_DIR, env=processes.server_env(), capture_output=True, text=True, timeout=90
    )
    assert passed.returncode == 0, passed.stderr
    assert "All 1 wallets match their ledger." in passed.stdout

    wallet = Wallet.objects.get(user=user)
    Wallet.objects.filter(pk=wallet.pk).update(balance=wallet.balance - 1)
    failed = subprocess.run(
        command, cwd=processes.BASE_DIR, env=processes.server_env(), capture_output=True, text=True, timeout=90
    )

    assert failed.returncode != 0
    assert f"Wallet {wallet.pk} ({user.email})" in failed.stderr
    assert "1 of 1 wallets do not match their ledger." in failed.stderr
