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
# # favorledger quickstart: the two obligations of a referral
#
# "Most of us carry an informal but indelible tally of whom we've granted
# favors to, who 'owes us one', and who has granted favors to us."
#
# This notebook tells the article's story in code, with the people and
# numbers of the README. A job seeker (`me`) asks a friend (`bob`) for help.
# Bob refers me to `carol`, who knows marketing better than anyone Bob knows.
# Carol gives me an hour of her time, worth 3. Once that favor is done, *two*
# people owe Carol: me, and Bob, who referred me (half of it, by default).
#
# Everyone is named by their id (`me`, `bob`, `carol`) throughout. Nothing is
# written to disk: the ledger lives in memory.

# %%
from datetime import UTC, datetime, timedelta

from favorledger import Decay, Ledger, settle, total

led = Ledger()  # a referrer owes half the favor's value, unless we say otherwise
led.tie("me", "bob", 0.9, kind="friend", reason="college roommates")
led.tie("bob", "carol", 0.6, kind="colleague", reason="worked together at Acme")
spring = datetime(2024, 4, 2, 17, 0, tzinfo=UTC)


def step(title: str, *lines: object) -> None:
    """Print one labelled step of the story."""
    print(title)
    for line in lines:
        print(f"    {line}")


def balances(
    ledger: Ledger, at: datetime | None = None, decay: Decay | None = None
) -> str:
    """Everyone's balance on one line, largest first, and their total."""
    shown = sorted(ledger.balances(at=at, decay=decay).items(), key=lambda pb: -pb[1])
    return (
        ", ".join(f"{p} {v}" for p, v in shown)
        + f" (total {total(v for _, v in shown)})"
    )


# %% [markdown]
# ## 1. The favor, done *via* a referrer

# %%
hour = led.record("carol", "me", 3, via="bob", reason="an hour on marketing", at=spring)
step(
    "1. carol gives me an hour on marketing, referred by bob (worth 3):",
    *(
        f"{o.debtor:<3} owes {o.creditor}  {o.amount:<3}  ({o.role})"
        for o in led.obligations()
    ),
    f"balances: {balances(led)}",
)

# %% [markdown]
# ## 2. A favor back, and a mistake reversed, never erased
#
# I review Bob's nephew's resume (worth 1). Then it turns out the nephew never
# sent it: the ledger is append-only, so a reversal cancels the favor and the
# history keeps both entries.

# %%
review = led.record(
    "me",
    "bob",
    1,
    reason="reviewed his nephew's resume",
    at=spring + timedelta(days=20),
)
owed_then = "; ".join(
    f"{d.debtor} owes {d.creditor} {d.amount}" for d in led.who_owes_whom()
)
led.reverse(
    review.id, reason="the nephew never sent it", at=spring + timedelta(days=21)
)
step(
    "2. I review bob's nephew's resume (worth 1), then reverse it (never sent):",
    f"before the reversal: {owed_then}",
    f"after it:            {balances(led)}",
    f"bob's history keeps {len(led.history('bob'))} entries",
)

# %% [markdown]
# ## 3. A job is a lifetime supply of favors
#
# Carol introduces me to her VP: a favor of kind `"job"`, worth 5. A `Decay`
# policy lets ordinary favors fade with a half-life of 180 days, while a job
# never fades.

# %%
led.record(
    "carol",
    "me",
    5,
    kind="job",
    reason="introduced me to her VP",
    at=spring + timedelta(days=45),
)
decay = Decay(half_life=timedelta(days=180), half_lives={"job": None})
two_years_on = spring + timedelta(days=730)
step(
    "3. carol introduces me to her VP (a job, worth 5):",
    f"now:           {balances(led)}",
    f"two years on:  {balances(led, at=two_years_on, decay=decay)}",
)

# %% [markdown]
# ## 4. Settling up
#
# `settle` suggests the fewest favor-returns that square everyone, each
# explained by the favors behind it; `led.apply(...)` would record them.

# %%
step(
    "4. to settle up:",
    *(f"{t.payer} returns a favor worth {t.amount} to {t.payee}" for t in settle(led)),
)

# %% [markdown]
# ## A picture of who owes whom
#
# With the `plot` extra (matplotlib), `favorledger.plot.draw` draws the
# ledger: an arrow from debtor to creditor for every debt, wider for more,
# and each person coloured by their balance (blue: owed, red: owes). The grey
# lines are the ties. In a notebook the picture shows below; as a script it
# is drawn and not saved (call `ax.figure.savefig(...)` to keep it).

# %%
from favorledger.plot import draw

ax = draw(led, ties=True, amounts=True, title="Who owes whom")
