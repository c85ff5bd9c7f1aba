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
# # A job search: my own network of 40 people
#
# "It's easier and less daunting to start the process with the people you
# know best and trust most. Your path outward from there will be much
# smoother."
#
# Maya is a marketer looking for her next job, ideally at **Orbital**, a
# space start-up. She keeps her own favor ledger: the 39 people she knows or
# could reach, how well they know each other, what each is expert at, and
# the favors done over the last year and a half. This notebook asks the
# questions a job seeker asks:
#
# 1. Who owes me, and whom do I owe? *(the core ledger)*
# 2. Who can introduce me to someone at Orbital? Which experts are within
#    reach? Whom do I see first this week, and how much can I ask of each?
#    Who has been a fair-weather friend? *(the referral functions:
#    `favorledger.referrals`, `favorledger.priorities`,
#    `favorledger.reciprocity`)*
#
# The people and favors are invented, but written out in full below so you
# can change them and rerun.

# %%
from datetime import UTC, datetime
from pathlib import Path
from tempfile import gettempdir

from favorledger import Ledger, total
from favorledger.plot import draw, draw_path, layout

NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)  # a Monday morning
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
# ## The people
#
# Each person has an id, a name and tags. Tags say what someone is expert
# at; by our own convention a tag starting with `@` names their employer, so
# "people at Orbital" is the tag `@orbital`.

# %%
PEOPLE = [
    ("me", "Maya (me)", {"marketing"}),
    # people I know directly
    ("bob", "Bob", {"@acme", "hr"}),
    ("ana", "Ana", {"@lumen", "design"}),
    ("dan", "Dan", {"@orbital", "engineering"}),
    ("eve", "Eve", {"@northwind", "marketing"}),
    ("gil", "Gil", {"@cobalt", "sales"}),
    ("hana", "Hana", {"university", "central america"}),
    ("ivan", "Ivan", {"@acme", "finance"}),
    ("jo", "Jo", {"nursing"}),
    ("kai", "Kai", {"@lumen", "marketing"}),
    ("lea", "Lea", {"@cobalt", "procurement"}),
    ("max", "Max", {"retired"}),
    ("nia", "Nia", {"@northwind", "data"}),
    # people they know
    ("carol", "Carol", {"@acme", "marketing", "central america"}),
    ("vera", "Vera", {"@orbital", "marketing", "hiring"}),
    ("omar", "Omar", {"@orbital", "hr", "hiring"}),
    ("pia", "Pia", {"@orbital", "engineering"}),
    ("quinn", "Quinn", {"@northwind", "marketing", "central america"}),
    ("raj", "Raj", {"@lumen", "hiring"}),
    ("sol", "Sol", {"@cobalt", "sales"}),
    ("tara", "Tara", {"journalism"}),
    ("uma", "Uma", {"@orbital", "design"}),
    ("wes", "Wes", {"investing"}),
    ("xia", "Xia", {"university", "latin america"}),
    ("yan", "Yan", {"recruiting", "hiring"}),
    ("zoe", "Zoe", {"@globex", "marketing"}),
    # and the people they know
    ("luis", "Luis", {"marketing", "central america"}),
    ("rosa", "Rosa", {"marketing", "central america"}),
    ("ben", "Ben", {"@orbital", "finance"}),
    ("cy", "Cy", {"@cobalt", "engineering"}),
    ("dee", "Dee", {"@globex", "hiring"}),
    ("fin", "Fin", {"journalism"}),
    ("gus", "Gus", {"@acme", "engineering"}),
    ("hal", "Hal", {"law"}),
    ("ike", "Ike", {"@northwind", "hiring"}),
    ("jan", "Jan", {"design"}),
    ("kim", "Kim", {"@lumen", "engineering"}),
    ("lou", "Lou", {"law"}),
    ("mo", "Mo", {"@globex", "sales"}),
    ("ned", "Ned", {"investing"}),
]

led = Ledger()  # a referrer owes half of a favor's value
for person, name, tags in PEOPLE:
    led.add_person(person, name, tags=tags, at="2023-01-01T00:00+00:00")
print(f"{len(led.people)} people")

# %% [markdown]
# ## Who knows whom
#
# A tie has a strength between 0 and 1 (how well the two know and trust
# each other), a kind and a reason. Ties are the roads introductions travel.

# %%
TIES = [
    # mine
    ("me", "bob", "0.9", "friend", "college roommates"),
    ("me", "ana", "0.8", "friend", "design club"),
    ("me", "dan", "0.5", "neighbor", "next door"),
    ("me", "eve", "0.7", "colleague", "worked together at Northwind"),
    ("me", "gil", "0.3", "acquaintance", "met at a trade show"),
    ("me", "hana", "0.85", "mentor", "my thesis adviser"),
    ("me", "ivan", "0.6", "classmate", "MBA study group"),
    ("me", "jo", "1", "family", "my sister"),
    ("me", "kai", "0.6", "colleague", "worked together at Lumen"),
    ("me", "lea", "0.4", "client", "a client at Cobalt"),
    ("me", "max", "0.4", "neighbor", "across the street"),
    ("me", "nia", "0.5", "classmate", "MBA study group"),
    # theirs
    ("bob", "carol", "0.6", "colleague", "same floor at Acme"),
    ("bob", "ivan", "0.7", "colleague", "both at Acme"),
    ("bob", "omar", "0.5", "acquaintance", "HR meetups"),
    ("ana", "uma", "0.5", "classmate", "art school"),
    ("ana", "raj", "0.6", "colleague", "Lumen"),
    ("ana", "jan", "0.7", "friend", "art school"),
    ("dan", "pia", "0.8", "colleague", "same team at Orbital"),
    ("dan", "max", "0.5", "neighbor", "same street"),
    ("eve", "quinn", "0.7", "colleague", "Northwind marketing"),
    ("eve", "nia", "0.6", "colleague", "Northwind"),
    ("gil", "sol", "0.4", "colleague", "Cobalt sales"),
    ("hana", "xia", "0.8", "colleague", "same department"),
    ("hana", "tara", "0.7", "friend", "book club"),
    ("ivan", "gus", "0.5", "colleague", "Acme"),
    ("kai", "raj", "0.5", "colleague", "Lumen"),
    ("kai", "zoe", "0.6", "friend", "marketing meetups"),
    ("kai", "kim", "0.6", "colleague", "Lumen"),
    ("lea", "sol", "0.5", "colleague", "Cobalt"),
    ("lea", "cy", "0.5", "colleague", "Cobalt"),
    ("nia", "yan", "0.4", "acquaintance", "a recruiter who called"),
    ("nia", "ike", "0.6", "colleague", "Northwind"),
    # and theirs
    ("carol", "vera", "0.7", "colleague", "worked together at Acme"),
    ("omar", "vera", "0.9", "colleague", "Orbital leadership"),
    ("omar", "ben", "0.6", "colleague", "Orbital"),
    ("pia", "vera", "0.8", "colleague", "Orbital marketing and product"),
    ("pia", "uma", "0.7", "colleague", "Orbital"),
    ("raj", "wes", "0.6", "client", "Wes invested in Lumen"),
    ("wes", "vera", "0.5", "acquaintance", "board meetings"),
    ("wes", "ben", "0.7", "colleague", "Orbital's board"),
    ("wes", "ned", "0.8", "colleague", "same fund"),
    ("xia", "luis", "0.7", "mentor", "his doctoral adviser"),
    ("quinn", "luis", "0.5", "client", "an agency Northwind hired"),
    ("luis", "rosa", "0.8", "colleague", "same agency in Guatemala"),
    ("tara", "fin", "0.7", "colleague", "same newspaper"),
    ("zoe", "dee", "0.6", "colleague", "Globex"),
    ("zoe", "mo", "0.5", "colleague", "Globex"),
    ("sol", "cy", "0.4", "colleague", "Cobalt"),
    ("gus", "hal", "0.3", "acquaintance", "a contract dispute"),
    ("hal", "lou", "0.8", "colleague", "same law firm"),
    ("jan", "uma", "0.5", "friend", "design meetups"),
    ("yan", "ike", "0.5", "client", "recruits for Northwind"),
]
for a, b, strength, kind, reason in TIES:
    led.tie(a, b, strength, kind=kind, reason=reason, at="2023-01-01T00:00+00:00")
print(f"{len(led.stated_ties)} stated ties")

# %% [markdown]
# ## The favors of the last eighteen months
#
# `record(giver, receiver, value)` means the receiver now owes the giver a
# favor worth `value` (Maya counts in hours of someone's time). A favor done
# `via` someone makes *two* people owe the giver: the receiver, and the
# person who referred them, who owes half its value.

# %%
FAVORS = [
    # giver, receiver, value, kind, when, via, reason
    ("hana", "me", 3, "reference", "2023-03-01", None, "a recommendation letter"),
    ("me", "gil", 2, "introduction", "2023-06-12", None, "introduced him to a client"),
    ("me", "gil", 1, "advice", "2023-09-20", None, "reviewed his pitch deck"),
    ("me", "hana", 2, "talk", "2023-10-05", None, "a guest lecture for her class"),
    ("bob", "me", 1, "help", "2023-11-14", None, "lent me his car for a week"),
    ("ana", "gil", 1, "design", "2024-01-10", None, "a logo for his side project"),
    ("eve", "me", 2, "advice", "2024-01-22", None, "coached me for an interview"),
    ("me", "eve", 2, "advice", "2024-02-08", None, "helped with her product launch"),
    ("me", "dan", 2, "help", "2024-02-17", None, "helped him move"),
    ("kai", "gil", 1, "introduction", "2024-02-20", "me", "an intro for Gil, via me"),
    ("jo", "me", 2, "help", "2024-03-03", None, "looked after my cat for a month"),
    ("me", "jo", 1, "help", "2024-03-30", None, "drove her to the airport"),
    ("carol", "me", 2, "advice", "2024-04-02", "bob", "marketing in Central America"),
    ("me", "kai", 1, "review", "2024-04-18", None, "proofread his portfolio"),
    ("ivan", "bob", 1, "help", "2024-04-25", None, "covered his shift"),
    ("bob", "ivan", 1, "help", "2024-05-05", None, "helped with his taxes"),
    ("omar", "bob", 1, "advice", "2024-05-02", None, "shared a hiring rubric"),
    ("me", "nia", 1, "advice", "2024-05-10", None, "a mock interview"),
    ("lea", "me", 1, "introduction", "2024-05-15", None, "an intro to Cobalt's CMO"),
    ("me", "max", 1, "help", "2024-05-20", None, "fixed his wifi"),
]
for giver, receiver, value, kind, day, via, reason in FAVORS:
    at = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    led.record(giver, receiver, value, kind=kind, at=at, via=via, reason=reason)
print(f"{len(led)} favors recorded")

# %% [markdown]
# ## Who owes me, and whom do I owe?
#
# `owes(a, b)` is what `a` owes `b` net of what `b` owes `a`. Here is
# everyone Maya knows directly, strongest tie first.

# %%
name = {person: led.people[person].name for person in led.people}
mine = sorted(led.ties("me"), key=lambda tie: (-tie.strength, tie.b))
rows = []
for tie in mine:
    other = tie.b if tie.a == "me" else tie.a
    rows.append(
        (
            name[other],
            tie.kind,
            tie.strength,
            led.owes(other, "me") or "",
            led.owes("me", other) or "",
        )
    )
table(rows, ("contact", "tie", "strength", "owes me", "I owe"))
print()
print("my balance:", led.balance("me"))
print("everyone's balances sum to", total(led.balances().values()))

# %% [markdown]
# Carol's hour on Central American marketing is the article's story: two
# people owe her, Maya and Bob, who referred her. Maya's own kindness to Gil
# made Maya a referrer too, so she owes Kai half of the favor Kai did Gil.

# %%
for obligation in led.obligations():
    if obligation.role == "referrer":
        debtor, creditor = name[obligation.debtor], name[obligation.creditor]
        favor = led.favors[obligation.favor_id]
        print(f"{debtor} owes {creditor} {obligation.amount} for referring:", end=" ")
        print(f"{favor.reason!r}")

# %% [markdown]
# A picture of the debts among the people Maya knows: arrows run from
# debtor to creditor, wider for more; blue people are owed, red ones owe.
# The grey lines are the ties. `layout(..., center="me")` puts Maya in the
# middle, the people she knows on the first ring, the people they know on
# the second, and so on.

# %%
pos = layout(led, center="me", seed=4)  # the same positions for every picture
ax = draw(led, ties=True, pos=pos, node_size=350, title="Maya's favor ledger")
ax.figure.savefig(FIGURES / "job_search_ledger.png", dpi=80)

# %% [markdown]
# ---
# # Part 2: reaching out
#
# This part uses the referral functions (`favorledger.referrals`,
# `favorledger.priorities` and `favorledger.reciprocity`). Everything above
# needs only the core ledger.

# %%
from favorledger.priorities import Expertise, ask_capacity, priorities
from favorledger.reciprocity import fair_weather, person_reciprocity
from favorledger.referrals import experts, introducers, referral_path

# %% [markdown]
# ## Who can introduce me to someone at Orbital?
#
# `experts(ledger, me, tag)` finds the people with a tag within reach (three
# introductions at most by default), with the most trusted path to each: a
# path's *trust* is the product of its ties' strengths.

# %%
rows = []
for path in experts(led, "me", "@orbital"):
    chain = " -> ".join(name[p] for p in path.people)
    rows.append((name[path.target], path.trust, len(path.hops), chain))
table(rows, ("at Orbital", "trust", "hops", "most trusted path"))

# %% [markdown]
# Vera runs marketing at Orbital: she is the one to meet. Which of my
# contacts could take me to her, and how well?

# %%
rows = []
for path in introducers(led, "me", "vera"):
    chain = " -> ".join(name[p] for p in path.people)
    rows.append((name[path.people[1]], path.trust, chain))
table(rows, ("ask", "trust", "path"))

# %% [markdown]
# Trust alone says "ask Bob". But favors count too: people help "as a favor
# to the person who referred you", and more readily when they owe you.
# `weight="leverage"` multiplies a path's trust by the willingness of each
# intermediary, which grows with what they owe me.

# %%
best = referral_path(led, "me", "vera")
print(best.explain())
print()
leverage = referral_path(led, "me", "vera", weight="leverage")
print(leverage.explain())

# %%
ax = draw_path(led, leverage, pos=pos, node_size=300)
ax.figure.savefig(FIGURES / "job_search_path.png", dpi=80)

# %% [markdown]
# ## Experts within reach
#
# "Before you go into a networking meeting, be sure you know what your
# expert is expert at." Who knows marketing in Central America, and how far
# away are they?

# %%
rows = []
for path in experts(led, "me", "central america"):
    rows.append(
        (name[path.target], path.trust, " -> ".join(name[p] for p in path.people))
    )
table(rows, ("expert", "trust", "path"))

# %% [markdown]
# ## Whom do I see first this week?
#
# "Some order or priority has to be imposed." `priorities` ranks Maya's
# contacts for a goal, here reaching someone who is hiring at Orbital
# (the tags `hiring` and `@orbital` both matter, so we aim at Vera), and
# shows each score's reasons: the tie, what they owe her, what she owes
# them, how well they reach the goal, and how recently they were in touch.

# %%
ranked = priorities(led, "me", goal="vera", at=NOW, limit=5)
for row in ranked:
    print(row.explain())
    print()

# %% [markdown]
# With no goal, the same ranking says whom to keep in touch with anyway;
# and with an expertise as the goal, who leads to it:

# %%
upkeep = priorities(led, "me", at=NOW, limit=5)
print("keep in touch:", ", ".join(name[row.person] for row in upkeep))
print()
print("to find a lawyer:")
for row in priorities(led, "me", goal=Expertise("law"), at=NOW):
    if row.path is not None:
        chain = " -> ".join(name[p] for p in row.path.people)
        print(f"  {name[row.person]:<6} score {row.score:.2f}  {chain}")

# %% [markdown]
# ## How much can I ask of each?
#
# "It's not hard to turn off that impulse by asking for too much help."
# `ask_capacity` sizes the favor a relationship can bear now: the tie's
# strength (times an allowance of one favor), plus what they owe me, minus
# what I owe them.

# %%
rows = [(name[row.person], ask_capacity(led, "me", row.person)) for row in ranked]
table(rows, ("contact", "can ask up to"))

# %% [markdown]
# Bob is Maya's oldest friend, but she still owes him for the car he lent
# her, and he has already referred her once: she can ask him for nothing
# more until she returns his favor. Dan, who owes her for the move, can be
# asked for the most.

# %% [markdown]
# ## Fair-weather friends
#
# "Real friendship is a two-way street." `fair_weather` lists the people who
# have received favors repeatedly (three times, by default) and given back
# at most a quarter of what they got.

# %%
rows = [
    (name[f.person], f.times_received, f.received, f.returned, f.returned_share)
    for f in fair_weather(led)
]
table(rows, ("person", "times helped", "received", "returned", "share returned"))
print()
print("Gil's reciprocity:", person_reciprocity(led, "gil"))
print("Maya's reciprocity:", person_reciprocity(led, "me"))
