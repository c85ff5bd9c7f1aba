# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The favor market and the networker's agenda
#
# "The Favor Market, in fact, is a lot like the stock market: it has puts,
# calls, warrants, options, bartering and insider information." This
# notebook shows three of them, then the week's to-do list a busy networker
# needs when "the number of new contacts multiplies geometrically".

# %%
from datetime import UTC, datetime, timedelta

from favorledger import Favor, Ledger, agenda, trading

led = Ledger()
conference = datetime(2024, 3, 14, 18, 0, tzinfo=UTC)

# %% [markdown]
# ## An option: a pledge made at a conference, called months later
#
# Over drinks, Priya promises to introduce me to her VP "whenever I'm ready".
# A pledge moves no balance: nobody owes anything until it is called.

# %%
pledge = trading.pledge(
    led,
    "priya",
    "me",
    3,
    kind="introduction",
    reason="an introduction to her VP of marketing",
    at=conference,
    expires=conference + timedelta(days=365),
)
print("after the pledge, I owe:", led.balance("me"))
print(
    "status in June:",
    trading.pledge_status(led, pledge.id, at=conference + timedelta(days=90)),
)

called = trading.call(led, pledge.id, at=conference + timedelta(days=120))
print("after calling it, I owe Priya", led.owes("me", "priya"), f"({called.reason})")

# %% [markdown]
# ## A warrant: an IOU passed along a chain of three friends
#
# Bob owes me for a resume review. I owe Carol for a reference. Instead of
# two favors returned, I pass Bob's IOU to Carol: Bob helps Carol, on my
# behalf. Nobody's balance changes; the pairwise debts move.

# %%
spring = conference + timedelta(days=30)
led.record("me", "bob", 2, kind="review", reason="reviewed his resume", at=spring)
led.record("carol", "me", 2, kind="reference", reason="a reference call", at=spring)
before = led.balances()
trading.assign(
    led,
    "me",
    "bob",
    "carol",
    2,
    at=spring + timedelta(days=7),
    reason="Bob helps Carol move",
)
for debt in led.who_owes_whom():
    print(f"{debt.debtor} owes {debt.creditor} {debt.amount}")
print("balances unchanged:", led.balances() == before)

# %% [markdown]
# ## Barter: two favors, one entry
#
# Dan fixes my website and I proofread his book: both are recorded, or
# neither; equal values leave nobody owing anybody.

# %%
swap = spring + timedelta(days=10)
trading.barter(
    led,
    Favor(giver="dan", receiver="me", value=2, kind="website", at=swap),
    Favor(giver="me", receiver="dan", value=2, kind="proofreading", at=swap),
)
print("me and dan:", led.owes("me", "dan"), led.owes("dan", "me"))

# %% [markdown]
# ## The week's agenda
#
# Asks awaiting answers, asks I accepted and have not yet done, favors
# received long ago and not returned, and pledges about to expire, each with
# the entries behind it. An ask made without a due date counts as due
# `return_after` after it was made.

# %%
trading.ask(
    led,
    "eve",
    "me",
    1,
    reason="feedback on her pitch deck",
    at=spring,
    due=spring + timedelta(days=14),
)
hal = trading.ask(led, "hal", "me", 1, reason="a referral", at=spring)
trading.answer(led, hal.id, "accepted", at=spring + timedelta(days=1))
trading.ask(
    led,
    "me",
    "frank",
    1,
    reason="an intro to his recruiter",
    at=spring,
    due=spring + timedelta(days=21),
)
trading.pledge(
    led,
    "gina",
    "me",
    2,
    reason="a mock interview",
    at=spring,
    expires=spring + timedelta(days=75),
)
monday = spring + timedelta(days=70)
for item in agenda(led, "me", today=monday, return_after=timedelta(days=30)):
    print(f"{item.action:<12} {item.person:<7} {item.reason}")
