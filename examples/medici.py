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
# # The Medici: favors along the marriage network of Renaissance Florence
#
# In 1434 Cosimo de' Medici returned from exile and his family ruled
# Florence for most of the next three centuries. Padgett and Ansell
# ("Robust Action and the Rise of the Medici, 1400-1434", *American Journal
# of Sociology*, 1993) showed how the Medici's marriages placed them
# *between* families that had few ties to each other: the Medici were the
# brokers of the Florentine elite.
#
# This notebook puts a favor ledger on that network. **Be clear about what
# is what:**
#
# * **Historical data:** the 15 families and their 20 marriage ties, from
#   Padgett's data as shipped by networkx
#   (`networkx.florentine_families_graph()`; the Pucci, who had no marriage
#   ties, are left out). The betweenness centrality below is computed from
#   these ties alone.
# * **Our assumption:** every tie has strength 1/2 (the data records a
#   marriage, not how strong it was).
# * **Simulated:** every favor, its value, date and referrer, drawn by a
#   seeded random generator (seed 1434). None of it is historical.
# * **Computed by favorledger** from the above: balances, debts, referral
#   paths.
#
# So the balances below say what *would* follow if favors flowed along the
# historical marriages in the simple way simulated here; they are not a
# finding about fifteenth-century Florence.

# %%
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path
from tempfile import gettempdir

import attrs
import networkx as nx

from favorledger import Favor, Ledger, total
from favorledger.plot import draw, draw_balances, draw_path

FIGURES = Path(gettempdir()) / "favorledger-examples"
FIGURES.mkdir(exist_ok=True)


def table(rows: list[tuple[object, ...]], header: tuple[str, ...]) -> None:
    """Print rows as a plain text table, columns aligned."""
    cells = [tuple(str(c) for c in header), *[tuple(str(c) for c in r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        print(line.rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


# %% [markdown]
# ## The historical marriage network
#
# Each marriage tie becomes a favorledger tie of kind `"family"`, with the
# assumed strength 1/2. Betweenness centrality (networkx) is the share of
# shortest paths between other families that pass through a family: the
# classic measure of brokerage, and the Medici's is twice anyone else's.

# %%
marriages = nx.florentine_families_graph()  # historical
FIRST_YEAR = datetime(1400, 1, 1, tzinfo=UTC)

led = Ledger()  # a referrer owes half the value of a favor done via them
for a, b in sorted(marriages.edges()):
    led.tie(a, b, "1/2", kind="family", reason="marriage", at=FIRST_YEAR)

betweenness = nx.betweenness_centrality(marriages)
rows = [
    (family, marriages.degree(family), f"{betweenness[family]:.3f}")
    for family in sorted(marriages, key=lambda f: (-betweenness[f], f))
]
table(rows, ("family", "marriages", "betweenness"))

# %% [markdown]
# ## Simulated favors (seeded; not historical)
#
# We simulate 34 years, 1400 to 1433. Each year 40 times a random family
# needs a favor (a loan, a vote in the councils, a word with a magistrate,
# help with a match) and asks a random family within two marriages of it:
#
# * a family it married into does the favor directly;
# * a family two marriages away does it **via** the family in between,
#   which referred them; that referrer then owes half the favor's value
#   too (the article's "two people owe you").
#
# Values are 1 to 5 favor units. The seed makes every run the same.

# %%
rng = random.Random(1434)
KINDS = ["loan", "vote", "a word with a magistrate", "help with a match"]
families = sorted(marriages)
for year in range(1400, 1434):
    for _ in range(40):
        asker = rng.choice(families)
        near = nx.single_source_shortest_path_length(marriages, asker, cutoff=2)
        giver = rng.choice(sorted(f for f in near if f != asker))
        middle = sorted(nx.common_neighbors(marriages, asker, giver))
        via = None if near[giver] == 1 else rng.choice(middle)
        day = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(365))
        value = rng.randint(1, 5)
        led.record(giver, asker, value, kind=rng.choice(KINDS), at=day, via=via)

referred = sum(1 for f in led.favors.values() if f.via is not None)
print(f"{len(led)} simulated favors, {referred} of them via a referrer")
print("balances sum to", total(led.balances().values()))

# %% [markdown]
# ## Who is owed most?
#
# A family's balance is what others owe it minus what it owes. Next to it:
# how many favors it did, how many it received, and how many it referred
# (each of which left it owing half a favor).

# %%
balances = led.balances()
did = Counter(f.giver for f in led.favors.values())
got = Counter(f.receiver for f in led.favors.values())
vouched = Counter(f.via for f in led.favors.values() if f.via)
rows = [
    (family, balances[family], did[family], got[family], vouched[family])
    for family in sorted(families, key=lambda f: (-balances[f], f))
]
table(rows, ("family", "balance", "favors done", "received", "referred"))

# %% [markdown]
# Every family asks equally often, so every family receives about as much.
# What differs is how often a family is *asked*, and how often it *refers*:
# a family with many others within two marriages is asked more, and a
# family between many pairs refers more, and in this ledger each referral
# leaves the referrer owing half a favor.

# %%
ranking = sorted(families, key=lambda f: (-balances[f], f))
for label, counts in (("did the most favors", did), ("referred most", vouched)):
    family, count = counts.most_common(1)[0]
    print(f"{label}: the {family} ({count})")
print(f"owed most: the {ranking[0]} ({balances[ranking[0]]})")
print(f"the Medici: balance {balances['Medici']}, rank {ranking.index('Medici') + 1}")

# %% [markdown]
# So the Medici are asked most, as brokers are, and they refer most; whether
# being the broker pays depends on what an introduction costs. Replaying
# the very same favors with other referral shares shows how much:

# %%
rows = []
for share in ("0", "1/2", "1"):
    replay = Ledger()
    replay.add_many(
        attrs.evolve(entry, referral_share=share)
        if isinstance(entry, Favor) and entry.via
        else entry
        for entry in led.log
    )
    order = sorted(families, key=lambda f: (-replay.balance(f), f))
    place = order.index("Medici") + 1
    rows.append((share, replay.balance("Medici"), place, order[0]))
table(rows, ("referral share", "Medici balance", "Medici rank", "owed most"))

# %% [markdown]
# When introductions are free (share 0), the Medici, asked most, are owed
# most. When a referrer owes part of the favor, their brokerage costs them
# much of what it earns. The historical finding is the betweenness table
# above: the Medici sat between the other families. What that position was
# worth in favors depends on the terms of the favor market, which the data
# cannot tell us.

# %% [markdown]
# ## The picture
#
# The grey lines are the historical marriages (`implied=False` leaves out
# the ties that the simulated favors imply); the arrows are the simulated
# debts, from debtor to creditor, wider for more. Blue families are owed,
# red ones owe.

# %%
placed = nx.spring_layout(marriages, seed=7)  # the same positions for every picture
pos = {family: (float(x), float(y)) for family, (x, y) in placed.items()}
ax = draw(
    led,
    pos=pos,
    ties=True,
    implied=False,
    figsize=(8, 6),
    title="Favors along marriages",
)
ax.figure.savefig(FIGURES / "medici_ledger.png", dpi=80)

# %%
ax = draw_balances(led, title="Balances after 34 simulated years")
ax.figure.savefig(FIGURES / "medici_balances.png", dpi=80)

# %% [markdown]
# ---
# # Part 2: who sits on the referral paths?
#
# This part uses the referral functions (`favorledger.referrals`).
# Everything above needs only the core ledger and networkx.

# %%
from favorledger.referrals import introducers, referral_path

# %% [markdown]
# For every ordered pair of families we ask favorledger for the most trusted
# referral path (with every strength 1/2, that is a path with the fewest
# marriages; the ties favors imply count too, so we use the marriages alone
# here) and count how often each family is an intermediary. This is a
# one-path-per-pair cousin of betweenness, which splits the credit among all
# shortest paths.

# %%
ties_only = Ledger()
for tie in led.stated_ties.values():
    ties_only.add(tie)
on_paths: Counter[str] = Counter()
for source, target in permutations(families, 2):
    on_paths.update(referral_path(ties_only, source, target).intermediaries)
pairs = len(families) * (len(families) - 1)
rows = [
    (
        family,
        on_paths[family],
        f"{on_paths[family] / pairs:.3f}",
        f"{betweenness[family]:.3f}",
    )
    for family in sorted(families, key=lambda f: (-on_paths[f], f))[:6]
]
table(rows, ("family", "on paths", "share of pairs", "betweenness"))

# %% [markdown]
# Both measures put the Medici first, far ahead of the rest, as Padgett and
# Ansell found. Here is one of those paths, from the Pazzi to the
# Lamberteschi; and, since the Medici had six marriages to choose from, the
# ways they themselves could reach the Lamberteschi, best first:

# %%
path = referral_path(ties_only, "Pazzi", "Lamberteschi")
print(path.explain())
print()
for option in introducers(ties_only, "Medici", "Lamberteschi"):
    print(f"the Medici via the {option.introducer}: {' -> '.join(option.people)}")

# %%
ax = draw_path(ties_only, path, pos=pos, figsize=(8, 6))
ax.figure.savefig(FIGURES / "medici_path.png", dpi=80)
