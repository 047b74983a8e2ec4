"""The demonstration accounts: `seed demo` creates them, `coopcrm dev` prints them."""

from __future__ import annotations

# (email, password, what the account shows off); seeding.demo.USERS follows this order.
DEMO_LOGINS = [
    ("admin@coop.example", "demo-admin-2026", "administrateur"),
    ("referente@coop.example", "demo-referente-2026", "référente (toutes entités)"),
    ("referent.ght@coop.example", "demo-referent-2026", "référent (GHT seulement)"),
    ("lecteur@coop.example", "demo-lecteur-2026", "lecteur"),
]
