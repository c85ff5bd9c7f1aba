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
# This notebook tells the article's story in code. A job seeker (**me**)
# asks a friend (**Bob**) for help. Bob refers me to **Carol**, who knows
# marketing in Central America better than anyone Bob knows. Carol gives me
# an hour of her time. Once that favor is done, *two* people owe Carol: me,
# and Bob, who referred me.

# %%
from datetime import UTC, datetime, timedelta

from favorledger import Decay, Ledger, total

led = Ledger()  # a referrer owes half the favor's value, unless we say otherwise

led.add_person("me", name="Me (job seeker)")
led.add_person("bob", name="Bob", tags={"human resources"})
led.add_person("carol", name="Carol", tags={"marketing", "central america"})
led.tie("me", "bob", 0.9, kind="friend", reason="college roommates")
led.tie("bob", "carol", 0.6, kind="colleague", reason="worked together at Acme")

# %% [markdown]
# ## The favor, done *via* a referrer
#
# Carol's hour is worth 2 favor units to us. It was done via Bob.

# %%
spring = datetime(2024, 4, 2, 17, 0, tzinfo=UTC)
hour = led.record(
    "carol",
    "me",
    2,
    kind="advice",
    via="bob",
    reason="an hour on marketing in Central America",
    at=spring,
)

for obligation in led.obligations():
    debtor = led.people[obligation.debtor].name
    creditor = led.people[obligation.creditor].name
    print(f"{debtor:>16} owes {creditor:<6} {obligation.amount}  ({obligation.role})")

# %% [markdown]
# ## Balances and who owes whom
#
# A balance is what others owe a person, minus what that person owes. The
# ledger keeps values exact and every balance sums to exactly zero.


# %%
def show_balances(ledger: Ledger) -> None:
    for person, balance in sorted(ledger.balances().items()):
        print(f"{ledger.people[person].name:>16}: {balance:>6}")
    print(f"{'total':>16}: {total(ledger.balances().values()):>6}")


show_balances(led)

# %% [markdown]
# Later, I return a favor to Bob (I review his nephew's resume), and Carol
# lands me a job interview, a favor of kind `"job"`.

# %%
led.record(
    "me",
    "bob",
    1,
    kind="review",
    reason="reviewed his nephew's resume",
    at=spring + timedelta(days=20),
)
led.record(
    "carol",
    "me",
    5,
    kind="job",
    reason="introduced me to her VP",
    at=spring + timedelta(days=45),
)

for debt in led.who_owes_whom():
    print(f"{debt.debtor} owes {debt.creditor} {debt.amount}")

# %% [markdown]
# ## Mistakes are reversed, never erased
#
# The ledger is append-only. Say the review was recorded by mistake: a
# reversal cancels it, and the history keeps both entries.

# %%
review = next(f for f in led.favors.values() if f.kind == "review")
led.reverse(
    review.id,
    reason="Bob's nephew never sent the resume",
    at=spring + timedelta(days=50),
)
for entry in led.history("bob"):
    print(type(entry).__name__, entry.at.date(), getattr(entry, "reason", ""))
print("bob owes carol:", led.owes("bob", "carol"))

# %% [markdown]
# ## Looking back, and letting small favors fade
#
# `as_of` shows the ledger as it stood on a date. A `Decay` policy lets
# small favors fade with a half-life while a job is "a lifetime supply of
# favors" and never decays.

# %%
print("me, a week after the hour:", led.as_of(spring + timedelta(days=7)).balance("me"))

decay = Decay(half_life=timedelta(days=180), half_lives={"job": None})
two_years_on = spring + timedelta(days=730)
for debt in led.who_owes_whom(at=two_years_on, decay=decay):
    print(f"two years on, {debt.debtor} owes {debt.creditor} {debt.amount}")
print("still sums to", total(led.balances(at=two_years_on, decay=decay).values()))

# %% [markdown]
# ## A picture of who owes whom
#
# With the `plot` extra (matplotlib), `favorledger.plot.draw` draws the
# ledger: an arrow from debtor to creditor for every debt, wider for more,
# and each person coloured by their balance (blue: owed, red: owes). The
# grey lines are the ties.

# %%
from pathlib import Path
from tempfile import gettempdir

from favorledger.plot import draw

ax = draw(led, ties=True, amounts=True, title="Who owes whom")
ax.figure.savefig(Path(gettempdir()) / "favorledger-quickstart.png")
