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
# # A community time bank: 100 members trading hours
#
# In a time bank, members trade hours: an hour of gardening earns an hour of
# tutoring, whoever gives it. The bank keeps one shared ledger of who did
# what for whom. At the end of the year the members ask three questions:
#
# 1. Where does everyone stand, and who owes whom? *(the core ledger)*
# 2. How do we square up with the fewest hours returned, and could we do it
#    only between people who already know each other? How much debt simply
#    cancels out in cycles? *(settlement and clearing:
#    `favorledger.settlement`, `favorledger.clearing`)*
# 3. Why am I asked to give an hour to someone I never traded with?
#
# The members and trades below are simulated with a seeded random generator,
# so every run shows the same year.

# %%
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import gettempdir

from favorledger import Ledger, total
from favorledger.plot import draw, draw_balances, layout

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
# ## The members
#
# Ten streets of ten members each. Every member offers one or two skills
# (their tags). Neighbours on the same street know each other (ties of
# strength 0.5 to 0.9), and a few friendships cross streets. The bank's
# coordinator knows everyone.

# %%
rng = random.Random(2024)
STREETS = [
    "Elm",
    "Oak",
    "Pine",
    "Birch",
    "Cedar",
    "Maple",
    "Ash",
    "Alder",
    "Rowan",
    "Yew",
]
FIRST = [
    "Ada", "Ben", "Cleo", "Dev", "Edie", "Finn", "Gia", "Hugo", "Iris", "Jude",
    "Kit", "Lena", "Milo", "Nora", "Otto", "Pam", "Ravi", "Suki", "Theo", "Vi",
]  # fmt: skip
SKILLS = [
    "gardening",
    "tutoring",
    "repairs",
    "childcare",
    "rides",
    "cooking",
    "computers",
]
START = datetime(2024, 1, 1, tzinfo=UTC)

led = Ledger(referral_share=0)  # in this bank an introduction costs nothing
led.add_person("coordinator", "The coordinator", tags={"introductions"}, at=START)
street_of: dict[str, str] = {}
for street in STREETS:
    for first in rng.sample(FIRST, 10):
        member = f"{first.lower()}-{street.lower()}"
        skills = set(rng.sample(SKILLS, rng.choice([1, 2])))
        led.add_person(member, f"{first} of {street} St", tags=skills, at=START)
        led.tie(member, "coordinator", "0.3", kind="acquaintance", at=START)
        street_of[member] = street
members = sorted(street_of)

for street in STREETS:
    row = [m for m in members if street_of[m] == street]
    for i, a in enumerate(row):
        for b in row[i + 1 :]:
            if rng.random() < 0.35:
                strength = rng.choice(["0.5", "0.6", "0.7", "0.8", "0.9"])
                led.tie(
                    a, b, strength, kind="neighbor", reason=f"{street} St", at=START
                )
for _ in range(25):
    a, b = rng.sample(members, 2)
    led.tie(a, b, "0.6", kind="friend", reason="met at a bank social", at=START)
print(f"{len(members)} members on {len(STREETS)} streets, {len(led.stated_ties)} ties")

# %% [markdown]
# ## A year of trades
#
# 600 trades of 1 to 3 hours. Three in four are between neighbours; the rest
# cross streets, and most of those were arranged by the coordinator, so they
# are recorded `via` the coordinator. The bank's rule is that introducing
# members is free (`Ledger(referral_share=0)`): the referral is on record,
# but the coordinator owes nothing for it.

# %%
HOURS = ["1.0", "1.0", "1.0", "1.5", "2.0", "2.0", "3.0"]  # half-hours count
for _ in range(600):
    receiver = rng.choice(members)
    if rng.random() < 0.75:
        neighbours = [m for m in members if street_of[m] == street_of[receiver]]
        giver = rng.choice([m for m in neighbours if m != receiver])
        via = None
    else:
        giver = rng.choice([m for m in members if street_of[m] != street_of[receiver]])
        via = "coordinator" if rng.random() < 0.7 else None
    skill = rng.choice(sorted(led.people[giver].tags))
    when = START + timedelta(days=rng.randrange(366), hours=rng.randrange(8, 20))
    led.record(giver, receiver, rng.choice(HOURS), kind=skill, at=when, via=via)

rows = [
    (
        f.at.date(),
        led.people[f.giver].name,
        led.people[f.receiver].name,
        f.kind,
        f.value,
    )
    for f in list(led.favors.values())[:5]
]
table(rows, ("date", "giver", "receiver", "kind", "hours"))
print("...")
print(f"{len(led)} trades, {total(f.value for f in led.favors.values())} hours in all")

# %% [markdown]
# ## Where everyone stands
#
# A member's balance is the hours others owe them minus the hours they owe.
# Balances always sum to exactly zero: every hour owed is an hour someone is
# owed.

# %%
balances = led.balances()
ranked = sorted(balances.items(), key=lambda item: (item[1], item[0]))
name = {member: led.people[member].name for member in led.people}
print("owe the most hours:")
table([(name[m], b) for m, b in ranked[:5]], ("member", "balance"))
print()
print("are owed the most hours:")
table([(name[m], b) for m, b in reversed(ranked[-5:])], ("member", "balance"))
print()
print("balances sum to", total(balances.values()))
print(sum(1 for b in balances.values() if b), "members have a non-zero balance")

# %%
ax = draw_balances(led, limit=20, title="The 20 largest balances, in hours")
ax.figure.savefig(FIGURES / "timebank_balances.png", dpi=80)

# %% [markdown]
# ## Who owes whom
#
# Netting each pair's trades both ways leaves the debts below. There are
# many of them: squaring up pair by pair would take one returned favor per
# debt.

# %%
debts = led.who_owes_whom()
rows = [(name[d.debtor], name[d.creditor], d.amount) for d in debts[:8]]
table(rows, ("owes", "to", "hours"))
print("...")
print(
    f"{len(debts)} debts between pairs, {total(d.amount for d in debts)} hours in all"
)

# %% [markdown]
# The favor graph of one street, Elm St: arrows from debtor to creditor,
# wider for more hours; blue members are owed, red ones owe. (`as_of` and
# the other views work on the whole ledger; for a picture we copy one
# street's trades into a ledger of their own.)

# %%
elm = Ledger(referral_share=0)
for favor in led.favors.values():
    if street_of.get(favor.giver) == street_of.get(favor.receiver) == "Elm":
        elm.add(favor)
for member in elm.people:
    elm.add_person(member, name[member].removesuffix(" of Elm St"), at=START)
ax = draw(elm, pos=layout(elm, seed=1), amounts=True, title="Who owes whom on Elm St")
ax.figure.savefig(FIGURES / "timebank_elm.png", dpi=80)

# %% [markdown]
# Balances in this picture count only the trades within Elm St.
#
# ---
# # Part 2: squaring up
#
# This part uses settlement and cycle clearing (`favorledger.settlement`,
# `favorledger.clearing`). Everything above needs only the core ledger.

# %%
from favorledger.settlement import explain, settle

# %% [markdown]
# ## The fewest hours returned
#
# Instead of one returned favor per debt, `settle` suggests transfers that
# bring every balance to exactly zero: "payer does payee a favor worth
# amount". The greedy method has the largest debtor return hours to the
# largest creditor, again and again; it never needs more than one transfer
# fewer than the number of non-zero balances.

# %%
fewest = settle(led, method="greedy")
rows = [(name[t.payer], name[t.payee], t.amount) for t in fewest[:6]]
table(rows, ("gives", "to", "hours"))
print("...")
print(f"{len(fewest)} transfers instead of {len(debts)} debts settled pair by pair")

# %% [markdown]
# The exact method finds the true minimum, which can be smaller when some
# group's balances cancel out among themselves. It is exponential, so it is
# for small groups (`"auto"` picks exact when it is fast and greedy
# otherwise). Say each street settles the trades among its own members:

# %%
rows = []
for street in STREETS:
    local = Ledger(referral_share=0)
    local.add_many(
        f
        for f in led.favors.values()
        if street_of.get(f.giver) == street_of.get(f.receiver) == street
    )
    owing = sum(1 for b in local.balances().values() if b)
    greedy, exact = (len(settle(local, method=m)) for m in ("greedy", "exact"))
    rows.append((f"{street} St", owing, greedy, exact))
table(rows, ("street", "non-zero balances", "greedy", "exact"))

# %% [markdown]
# ## Only between people who know each other
#
# "Why do I owe Sara? I never met her." With `method="ties"` every transfer
# runs between two people who already know each other: they traded, one
# introduced the other (here that is often the coordinator), or they said
# they know each other (a stated tie, such as neighbours on a street). A few
# more transfers are needed, because hours have to travel along those
# relationships.

# %%
along_ties = settle(led, method="ties")
rows = [(name[t.payer], name[t.payee], t.amount) for t in along_ties[:4]]
table(rows, ("gives", "to", "hours"))
print("...")
traded = set()
for favor in led.favors.values():
    people = [favor.giver, favor.receiver] + ([favor.via] if favor.via else [])
    traded |= {frozenset((a, b)) for a in people for b in people if a != b}
stated = set(led.stated_ties)
pairs = [frozenset((t.payer, t.payee)) for t in along_ties]
print(
    f"{len(along_ties)} transfers: {sum(p in traded for p in pairs)} between people"
    f" who traded or were introduced, {sum(p in stated - traded for p in pairs)}"
    " between people with only a stated tie, "
    f"{sum(p not in traded | stated for p in pairs)} between strangers"
)

# %% [markdown]
# ## Cancelling cycles
#
# When Ada owes Ben, Ben owes Cleo and Cleo owes Ada, part of all three
# debts can simply be cancelled: nobody's balance changes, and nobody has
# to do anything. `clear_cycles` (in `favorledger.clearing`) cancels as much
# debt as possible this way (multilateral set-off, solved as a min-cost flow)
# and only ever shrinks existing debts. What remains can then be settled
# pair by pair, between people who really traded.

# %%
from favorledger.clearing import clear_cycles

clearing = clear_cycles(led)
print(f"owed before: {clearing.before} hours in {len(debts)} debts")
share = clearing.cleared / clearing.before
print(f"cleared:     {clearing.cleared} hours ({share:.0%})")
remaining = total(d.amount for d in clearing.remaining)
print(f"remaining:   {remaining} hours in {len(clearing.remaining)} debts")

# %% [markdown]
# ## Three ways compared
#
# How many favors must be returned, and how many hours must move, to square
# everyone up?

# %%
rows = [
    ("pair by pair", len(debts), total(d.amount for d in debts)),
    ("fewest transfers", len(fewest), total(t.amount for t in fewest)),
    ("along ties only", len(along_ties), total(t.amount for t in along_ties)),
    ("clear cycles, then pair by pair", len(clearing.remaining), remaining),
]
table(rows, ("way to square up", "returns", "hours moved"))

# %% [markdown]
# The fewest transfers move the fewest hours, but often between strangers.
# Settling along ties keeps everyone among people they know for a few more
# transfers. Clearing cycles first needs more returns than either, but every
# one of them repays a favor the payer really received.

# %% [markdown]
# ## Why is each return owed?
#
# Every suggested transfer carries the obligations it discharges, so a
# member can see why. Here is the first suggestion to give hours to someone
# one has never traded with, and the chain of debts behind it.

# %%
traded = {frozenset((f.giver, f.receiver)) for f in led.favors.values()}
strangers = [t for t in fewest if frozenset((t.payer, t.payee)) not in traded]
stranger = min(strangers, key=lambda t: len(t.explained_by))  # the shortest story
print(f"{name[stranger.payer]} gives {name[stranger.payee]} {stranger.amount} hours:")
for obligation in explain(led, stranger):
    # a debt that an assignment or a settlement made cites that entry's id
    favor = led.favors.get(obligation.favor_id)
    source = (
        f"{favor.kind} on {favor.at.date()}"
        if favor is not None
        else f"{obligation.role} {obligation.favor_id}"
    )
    print(
        f"  {name[obligation.debtor]} owes {name[obligation.creditor]}"
        f" {obligation.amount} for {source}"
    )

# %% [markdown]
# ## Recording the settlement
#
# `apply` records the transfers as favors of kind `"settlement"`, all or
# nothing. Afterwards every balance is exactly zero and there is nothing
# left to settle. Nothing is erased: the year's trades stay in the log.

# %%
squared = Ledger.from_entries(led.log, referral_share=0)  # a copy, to keep `led`
squared.apply(fewest, at=datetime(2025, 1, 1, tzinfo=UTC), reason="year-end")
print("non-zero balances left:", sum(1 for b in squared.balances().values() if b))
print("still to settle:", settle(squared))
print("entries in the log:", len(led.log), "->", len(squared.log))
