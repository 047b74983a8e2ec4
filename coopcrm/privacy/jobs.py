"""The privacy domain's periodic jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("privacy.prune_reads", every=timedelta(days=1),
          description_fr="Efface du journal des consultations les entrées plus anciennes "
                         "que la durée de conservation.")
def prune_reads(now: datetime) -> str:
    """Delete the reads older than COOPCRM_RETENTION_READS_DAYS."""
    from coopcrm.privacy import reads

    return f"{reads.prune(now)} consultation(s) effacée(s)"


@register("privacy.retention", cron={"day": 1, "hour": 6, "minute": 0},
          description_fr="Chaque mois : compte les fiches dont la durée de conservation est "
                         "passée (à approuver sur la page RGPD), vide les données de fusion "
                         "des messages envoyés et le contenu des messages reçus passé leur "
                         "durée de conservation ; efface les identités que les registres "
                         "légaux n'ont plus à garder et l'historique des modifications "
                         "passé sa durée de conservation.")
def retention(now: datetime) -> str:
    """Count each retention rule's members to review; clear old sent messages' payloads
    and old received messages' content; drop the legal identities and the change history
    past their retention."""
    from coopcrm import clock
    from coopcrm.privacy import retention as rules

    cleared = rules.clear_sent_payloads(now)
    received = rules.clear_received(now)
    history = rules.prune_audit(now)
    dropped = rules.drop_expired_identities(clock.day_of(now))
    found = rules.summary(rules.counts(clock.day_of(now)))
    return (f"À examiner : {found} ; {cleared} message(s) allégé(s) ; "
            f"{received} message(s) reçu(s) vidé(s) ; "
            f"{history} entrée(s) d'historique effacée(s) ; "
            f"{dropped} identité(s) de registre légal effacée(s)")
